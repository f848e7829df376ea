using System.CommandLine;
using System.Diagnostics;
using SnomActors.Cli.Commands;

namespace SnomActors.Cli.Tests.Support;

/// <summary>Runs the CLI's daemon-facing commands in-process, capturing stdout and stderr.</summary>
public static class CliRunner
{
    public static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var root = new RootCommand("test") { StatusCommand.Create(), MonitorCommand.Create() };
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
        return (exit, output.ToString(), error.ToString());
    }
}

/// <summary>Where things are in the repository, found from the test assembly's location.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: the configuration this test assembly was built in.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Split(Path.DirectorySeparatorChar).Reverse().Skip(2).First();

    /// <summary>
    /// The real <c>snomactors</c> executable (its dll, run with <c>dotnet</c>): $SNOMACTORS_CLI_DLL, else the
    /// CLI project's build output for this configuration (built before the tests, as a project reference).
    /// </summary>
    public static string CliDll =>
        Environment.GetEnvironmentVariable("SNOMACTORS_CLI_DLL") is { Length: > 0 } overridden
            ? overridden
            : Path.Combine(Root, "src", "SnomActors.Cli", "bin", Configuration, "net10.0", "snomactors.dll");

    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Process.GetCurrentProcess().MainModule?.FileName is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : "dotnet";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SnomActors.sln"))) return dir.FullName;
        throw new InvalidOperationException("SnomActors.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A fact skipped, with its reason in the report, when a tool is not on PATH.</summary>
public sealed class RequiresToolFactAttribute : FactAttribute
{
    public RequiresToolFactAttribute(string tool, string debianPackage)
    {
        if (!OnPath(tool)) Skip = $"{tool} not installed (Debian: apt-get install {debianPackage}); CI installs it";
    }

    public static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Any(dir => File.Exists(Path.Combine(dir, tool)));
}

/// <summary>A fact that runs only with SNOMACTORS_SLOW_TESTS=1 (minutes-long work such as a Release publish).</summary>
public sealed class SlowFactAttribute : FactAttribute
{
    public SlowFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("SNOMACTORS_SLOW_TESTS") != "1")
            Skip = "slow: set SNOMACTORS_SLOW_TESTS=1 to run it";
    }
}
