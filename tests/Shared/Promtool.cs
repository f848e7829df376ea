using System.Diagnostics;

namespace SnomActors.Tests.Shared;

/// <summary>
/// Runs Prometheus' <c>promtool check metrics</c> on an exposition (linked into the test projects
/// that export metrics). Debian: <c>apt-get install prometheus</c>; the tests skip without it.
/// </summary>
internal static class Promtool
{
    public const string NotInstalled = "promtool not installed (Debian: apt-get install prometheus); the strict parser tests still ran";

    public static bool Installed =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Any(dir => File.Exists(Path.Combine(dir, "promtool")));

    /// <summary>
    /// Fails unless promtool accepts <paramref name="exposition"/> with exit 0 and nothing to say
    /// (lint findings, exit 3, count as failures).
    /// </summary>
    public static async Task AssertAcceptsAsync(string exposition)
    {
        var psi = new ProcessStartInfo("promtool", ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var promtool = Process.Start(psi)!;
        var stdout = promtool.StandardOutput.ReadToEndAsync();
        var stderr = promtool.StandardError.ReadToEndAsync();
        await promtool.StandardInput.WriteAsync(exposition);
        promtool.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await promtool.WaitForExitAsync(timeout.Token);
        var report = await stdout + await stderr;
        Assert.True(promtool.ExitCode == 0 && report.Trim().Length == 0,
            $"promtool check metrics (exit {promtool.ExitCode}):\n{report}\n---\n{exposition}");
    }
}
