using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using SnomActors.EndToEnd.Tests.Support;

namespace SnomActors.EndToEnd.Tests;

/// <summary>
/// The container image's <c>HEALTHCHECK</c> (deploy/Containerfile) is the command a container
/// runtime runs every 30 s: it must say healthy while the daemon is ready and unhealthy once it is
/// gone. No container runtime is available in CI, so the test runs that exact argument vector
/// against a real daemon, with the image's paths mapped onto the test's (the binary, the
/// <c>/var/lib/snomactors</c> volume, port 8080) and, as in the image, from <c>/</c> with no token
/// in the environment. It caught a check that never passed: <c>status</c> needs the admin token,
/// which it finds only through <c>--data</c>.
/// </summary>
public sealed partial class ContainerHealthcheckTests
{
    private const string ImageBinary = "/usr/bin/snomactors";
    private const string ImageData = "/var/lib/snomactors";
    private const string ImageServer = "http://127.0.0.1:8080";

    [Fact]
    public async Task The_images_healthcheck_passes_while_the_daemon_is_ready_and_fails_once_it_stopped()
    {
        var containerfile = File.ReadAllText(Path.Combine(DaemonPaths.RepoRoot, "deploy", "Containerfile"));
        var check = JsonSerializer.Deserialize<string[]>(HealthcheckCmd().Match(containerfile).Groups["argv"].Value)!;
        var cmd = JsonSerializer.Deserialize<string[]>(ImageCmd().Match(containerfile).Groups["argv"].Value)!;
        Assert.Equal(ImageBinary, check[0]);
        // The check reads the token from the same data directory the image's CMD runs the daemon with.
        Assert.Equal(ImageData, cmd[Array.IndexOf(cmd, "--data") + 1]);

        await using var daemon = await LoopbackDaemon.StartAsync();
        var data = Path.Combine(daemon.DataDirectory, "data");
        var argv = check.Skip(1)
            .Select(a => a == ImageData ? data : a.Replace(ImageServer, daemon.HttpBase.ToString().TrimEnd('/'), StringComparison.Ordinal))
            .ToArray();

        var healthy = await RunAsync(argv);
        Assert.True(healthy.Exit == 0, $"healthcheck exit {healthy.Exit} against a ready daemon: {healthy.Err}\n{healthy.Out}");
        Assert.Contains("\"ready\": true", healthy.Out, StringComparison.Ordinal);

        var stopped = await daemon.Process.TerminateAsync(TimeSpan.FromSeconds(20));
        Assert.True(stopped is { ExitCode: 0 }, daemon.Process.Describe());
        var unhealthy = await RunAsync(argv);
        Assert.True(unhealthy.Exit != 0, $"healthcheck passed with the daemon stopped:\n{unhealthy.Out}");
    }

    private static async Task<(int Exit, string Out, string Err)> RunAsync(string[] args)
    {
        var start = new ProcessStartInfo(DaemonPaths.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        start.ArgumentList.Add(DaemonPaths.CliDll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        start.Environment.Remove("SNOMACTORS_TOKEN");
        using var cli = Process.Start(start)!;
        var output = cli.StandardOutput.ReadToEndAsync();
        var error = cli.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await cli.WaitForExitAsync(timeout.Token);
        return (cli.ExitCode, await output, await error);
    }

    [GeneratedRegex(@"^HEALTHCHECK\b(?:[^\n]*\\\n)*\s*CMD\s+(?<argv>\[[^\]]*\])", RegexOptions.Multiline)]
    private static partial Regex HealthcheckCmd();

    [GeneratedRegex(@"^CMD\s+(?<argv>\[[^\]]*\])", RegexOptions.Multiline)]
    private static partial Regex ImageCmd();
}
