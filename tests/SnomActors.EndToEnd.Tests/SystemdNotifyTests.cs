using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using SnomActors.EndToEnd.Tests.Support;

namespace SnomActors.EndToEnd.Tests;

/// <summary>
/// The daemon's side of <c>Type=notify</c> with <c>WatchdogSec=</c> (deploy/systemd/snomactors.service),
/// with this test in systemd's place: a Unix datagram socket as <c>NOTIFY_SOCKET</c>, and the
/// daemon started as the child of a process named <c>systemd</c> — how
/// Microsoft.Extensions.Hosting.Systemd decides that it runs as a service (its parent's
/// /proc/PID/comm), without which <c>UseSystemd()</c> sends neither READY nor STOPPING.
/// </summary>
public sealed class SystemdNotifyTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Ready_once_SIP_is_served_then_watchdog_pings_every_half_interval_and_stopping_on_sigterm()
    {
        var work = Directory.CreateTempSubdirectory("snomactors-e2e-systemd-");
        var notifyPath = Path.Combine(work.FullName, "notify");
        var systemd = Path.Combine(work.FullName, "systemd");
        File.CreateSymbolicLink(systemd, "/bin/sh");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        var states = Channel.CreateUnbounded<(string State, TimeSpan At)>();
        var clock = Stopwatch.StartNew();
        using var stopReading = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            while (!stopReading.IsCancellationRequested)
            {
                int n;
                try
                {
                    n = await notify.ReceiveAsync(buffer, SocketFlags.None, stopReading.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                foreach (var line in Encoding.UTF8.GetString(buffer, 0, n).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                    states.Writer.TryWrite((line, clock.Elapsed));
            }
        });

        var httpPort = LoopbackDaemon.FreeTcpPort();
        using var daemon = DaemonProcess.Start(
        [
            "--no-multicast", "--sip-address", "127.0.0.1", "--sip-port", "0",
            "--http-url", $"http://127.0.0.1:{httpPort}", "--data", Path.Combine(work.FullName, "data"),
        ], work.FullName, environment: new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = notifyPath,
            ["WATCHDOG_USEC"] = "2000000", // WatchdogSec=2: a ping every second
        }, parentShell: systemd);
        int? child = null;
        try
        {
            // READY=1 means phones can be served: SIP bound and the HTTP side listening.
            var ready = await NextAsync(states, "READY=1", daemon);
            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
            using (var health = await http.GetAsync(new Uri($"http://127.0.0.1:{httpPort}/health/ready")))
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.NotEmpty(daemon.LinesContaining("SIP transport bound on"));

            var first = await NextAsync(states, "WATCHDOG=1", daemon);
            var second = await NextAsync(states, "WATCHDOG=1", daemon);
            // Half of WATCHDOG_USEC apart (a generous band: the test host's own scheduling adds jitter).
            Assert.InRange((second.At - first.At).TotalSeconds, 0.5, 1.9);
            Assert.True(first.At >= ready.At, "a watchdog ping before READY");

            child = daemon.ChildPid();
            Assert.True(child is not null, $"no daemon under the launcher\n{daemon.Describe()}");
            DaemonProcess.Sigterm(child.Value);
            await NextAsync(states, "STOPPING=1", daemon);
            var exit = await daemon.WaitForExitAsync(TimeSpan.FromSeconds(20));
            Assert.True(exit == 0, $"exit {exit?.ToString() ?? "none within 20 s"}\n{daemon.Describe()}");
        }
        finally
        {
            await stopReading.CancelAsync();
            await reader;
            if (child is { } pid) KillIfRunning(pid);
            else if (daemon.ChildPid() is { } orphan) KillIfRunning(orphan);
            daemon.Kill();
            work.Delete(recursive: true);
        }
    }

    /// <summary>The next notification equal to <paramref name="state"/>, skipping others (e.g. STATUS=).</summary>
    private static async Task<(string State, TimeSpan At)> NextAsync(Channel<(string State, TimeSpan At)> states, string state, DaemonProcess daemon)
    {
        using var timeout = new CancellationTokenSource(Wait);
        try
        {
            while (true)
            {
                var next = await states.Reader.ReadAsync(timeout.Token);
                if (next.State == state) return next;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no {state} on NOTIFY_SOCKET within {Wait}\n{daemon.Describe()}");
        }
    }

    private static void KillIfRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            if (!process.HasExited) process.Kill();
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }
}
