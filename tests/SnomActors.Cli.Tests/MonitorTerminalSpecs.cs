using System.Diagnostics;
using SnomActors.Cli.Tests.Support;
using Xunit.Abstractions;

namespace SnomActors.Cli.Tests;

/// <summary>
/// The real <c>snomactors monitor</c> in a real terminal: a detached tmux session on a private tmux
/// server (its own socket, killed at the end), read back with <c>capture-pane</c>.
/// </summary>
public sealed class MonitorTerminalSpecs(ITestOutputHelper log)
{
    [RequiresToolFact("tmux", "tmux")]
    public async Task Monitor_draws_the_served_numbers_in_a_terminal_refreshes_in_place_and_quits_on_q()
    {
        Assert.True(File.Exists(Repo.CliDll), $"the CLI is not built at {Repo.CliDll}");
        await using var daemon = await CannedDaemon.StartAsync();
        var socket = $"snomactors-test-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            // The shell reports the exit code on the pane and keeps it open so a failure can be read.
            var command = $"'{Repo.DotnetHost}' '{Repo.CliDll}' monitor --server {daemon.Url} --interval 0.3; echo \"monitor exited $?\"; sleep 60";
            Tmux(socket, "new-session", "-d", "-s", "mon", "-x", "120", "-y", "50", command);

            // Wait for the second frame: it shows a rate over the last interval instead of the average.
            var screen = await PollAsync(socket, s => s.Contains("/s now", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            Assert.DoesNotContain("monitor exited", screen);
            log.WriteLine(screen);
            Assert.Contains($"SnomActors monitor - {daemon.Url}", screen);
            Assert.Contains("1d 02:03:04", screen);
            Assert.Contains($"live {CannedDaemon.LiveDialogs} ", screen);
            Assert.Contains($"{CannedDaemon.Acknowledged} completed", screen);
            Assert.Contains("0.0/s now", screen); // the canned counters do not move
            Assert.Contains($"2xx {CannedDaemon.Sent200}", screen);
            Assert.Contains($"{CannedDaemon.Devices} known", screen);
            Assert.Contains("Timer F: no final response to the NOTIFY", screen);
            Assert.Contains("q or Ctrl-C quits", screen);
            // Redrawn in place: the title appears once on the screen, not once per frame.
            Assert.Single(screen.Split('\n'), l => l.StartsWith("SnomActors monitor", StringComparison.Ordinal));
            Assert.True(daemon.Requests.Count(r => r.PathAndQuery == "/api/stats") >= 2, "refreshed at least once");

            Tmux(socket, "send-keys", "-t", "mon", "q");
            var after = await PollAsync(socket, s => s.Contains("monitor exited", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
            Assert.Contains("monitor exited 0", after);
            // The alternate screen was left: the shell's screen is back, the monitor's frame is gone.
            Assert.DoesNotContain("Recent failures", after);
        }
        finally
        {
            Tmux(socket, allowFailure: true, "kill-server");
        }
    }

    private static async Task<string> PollAsync(string socket, Func<string, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var screen = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            screen = Tmux(socket, "capture-pane", "-p", "-t", "mon").Output;
            // A monitor that exited early (not wired in, wrong option) shows why on the pane: stop waiting.
            if (done(screen) || screen.Contains("monitor exited", StringComparison.Ordinal)) return screen;
            await Task.Delay(150);
        }
        throw new Xunit.Sdk.XunitException($"the screen did not show what was awaited within {timeout.TotalSeconds} s; screen:\n{screen}");
    }

    private static (int Exit, string Output) Tmux(string socket, params string[] args) => Tmux(socket, false, args);

    private static (int Exit, string Output) Tmux(string socket, bool allowFailure, params string[] args)
    {
        var psi = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-L");
        psi.ArgumentList.Add(socket);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TERM"] = "xterm-256color";
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (!allowFailure && p.ExitCode != 0) throw new Xunit.Sdk.XunitException($"tmux {string.Join(' ', args)}: exit {p.ExitCode}: {error}");
        return (p.ExitCode, output);
    }
}
