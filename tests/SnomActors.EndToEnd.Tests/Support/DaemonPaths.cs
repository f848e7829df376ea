using System.Reflection;

namespace SnomActors.EndToEnd.Tests.Support;

/// <summary>Where the daemon's entry assembly and the repository's files are.</summary>
internal static class DaemonPaths
{
    /// <summary>Overrides the daemon location (e.g. a published build): <c>SNOMACTORS_DLL=/path/snomactors.dll</c>.</summary>
    public const string OverrideVariable = "SNOMACTORS_DLL";

    private static readonly Lazy<string> CliDllPath = new(FindCliDll);

    /// <summary>Full path of <c>snomactors.dll</c>.</summary>
    public static string CliDll => CliDllPath.Value;

    /// <summary>The <c>dotnet</c> host: the one running the tests (the SDK exports it), else the one on PATH.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>The repository root (the folder holding SnomActors.sln), found by walking up from the test assembly.</summary>
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "SnomActors.sln"))) return dir.FullName;
            throw new InvalidOperationException($"SnomActors.sln not found above {AppContext.BaseDirectory}");
        }
    }

    private static string FindCliDll()
    {
        if (Environment.GetEnvironmentVariable(OverrideVariable) is { Length: > 0 } overridden)
        {
            return File.Exists(overridden)
                ? overridden
                : throw new FileNotFoundException($"{OverrideVariable}={overridden}: no such file");
        }

        // Written by the build (RecordSnomActorsCliPath in the .csproj): the referenced Cli project's own TargetPath.
        var recorded = typeof(DaemonPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "SnomActorsCliDll")?.Value;
        if (recorded is { Length: > 0 } && File.Exists(recorded)) return recorded;

        // Fallback for a build that skipped the target: the conventional output folders.
        var candidates = new[] { "Debug", "Release" }
            .Select(c => Path.Combine(RepoRoot, "src", "SnomActors.Cli", "bin", c, "net10.0", "snomactors.dll"))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .ToList();
        return candidates.Count > 0
            ? candidates[0]
            : throw new FileNotFoundException(
                $"snomactors.dll not found (recorded path '{recorded}'); build it with `dotnet build src/SnomActors.Cli` or set {OverrideVariable}.");
    }
}
