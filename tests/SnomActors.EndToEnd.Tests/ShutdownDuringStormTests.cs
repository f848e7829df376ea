using System.Diagnostics;
using SnomActors.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace SnomActors.EndToEnd.Tests;

/// <summary>
/// Issue 5 (resilience): SIGTERM in the middle of a boot storm. The daemon refuses new dialogs
/// (503), lets the NOTIFY transactions in flight finish, writes its registry and exits 0 within its
/// configured drain timeout. With 10 % loss on the phones' side some NOTIFYs are being retransmitted
/// when the SIGTERM comes.
/// </summary>
public sealed class ShutdownDuringStormTests(ITestOutputHelper output)
{
    private const int DrainTimeoutSeconds = 12;
    private const int SigtermAfterDialogs = 60;

    [Fact]
    public async Task Sigterm_mid_storm_finishes_every_exchange_it_had_answered_refuses_the_rest_and_exits_0_within_the_drain_timeout()
    {
        var config = Path.Combine(Directory.CreateTempSubdirectory("snomactors-e2e-drain-").FullName, "drain.json");
        await File.WriteAllTextAsync(config, $$"""{ "SnomActors": { "Shutdown": { "DrainTimeoutSeconds": {{DrainTimeoutSeconds}} } } }""");
        var daemon = await LoopbackDaemon.StartAsync("--config", config);
        try
        {
            using var simulate = SimulateProcess.Start(
            [
                "--target", daemon.Sip.ToString(), "--phones", "300", "--rate", "60", "--vendor", "snom,yealink,gigaset,fanvil",
                "--seed", "4714", "--loss", "0.1",
                // Provisioned = NOTIFY received and answered: what the drain promises. (A download right
                // after the last NOTIFY answer races the web server's stop.)
                "--no-download",
                // Phones that boot after the daemon has gone would wait for Timer F (32 s); by then every
                // phone the daemon answered has its outcome (the daemon exits within 12 s of the SIGTERM).
                "--timeout", "22",
            ]);

            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
            {
                var deadline = Stopwatch.StartNew();
                while (await daemon.MetricAsync(http, "snomactors_dialogs_started_total") < SigtermAfterDialogs)
                {
                    if (deadline.Elapsed > TimeSpan.FromSeconds(60))
                        throw new TimeoutException($"the storm did not reach the daemon within 60 s\n{simulate.Describe()}\n{daemon.Process.Describe()}");
                    await Task.Delay(20);
                }
            }
            var watch = Stopwatch.StartNew();
            daemon.Process.SendSigterm();
            var exit = await daemon.Process.WaitForExitAsync(TimeSpan.FromSeconds(DrainTimeoutSeconds + 20));
            var stoppedAfter = watch.Elapsed;
            var log = daemon.Process.Describe(200);
            Assert.True(exit is not null, $"the daemon still ran {stoppedAfter.TotalSeconds:0} s after SIGTERM\n{log}");
            Assert.True(exit == 0, $"exit code {exit} after SIGTERM\n{log}");
            Assert.True(stoppedAfter < TimeSpan.FromSeconds(DrainTimeoutSeconds),
                $"the daemon took {stoppedAfter.TotalSeconds:0.0} s to stop, longer than its drain timeout ({DrainTimeoutSeconds} s)\n{log}");
            output.WriteLine($"stopped {stoppedAfter.TotalSeconds:0.00} s after SIGTERM; {string.Join(" ", daemon.Process.LinesContaining("Draining:"))}");

            var report = await simulate.WaitForReportAsync(TimeSpan.FromSeconds(60));
            output.WriteLine(report.Summary);
            // Every phone that had a 200 got its NOTIFY (unfinished(downloading): received it, but its own
            // SUBSCRIBE transaction still waits for a lost 200 when the run ends); the others were refused
            // (503) or found the daemon gone.
            var broken = report.OutcomesOtherThan("provisioned", "unfinished(downloading)", "rejected(503)", "unfinished(no 200 yet)", "no-answer");
            Assert.True(broken.Count == 0, $"exchanges the drain should have finished: {string.Join(", ", broken)}\n{report.Context}\n{log}");
            var notified = report.Count("provisioned") + report.Count("unfinished(downloading)");
            var turnedAway = report.Count("rejected(503)") + report.Count("unfinished(no 200 yet)") + report.Count("no-answer");
            Assert.True(notified >= SigtermAfterDialogs && turnedAway > 0, $"the SIGTERM did not come mid-storm: {report.Summary}");

            // Nothing the daemon accepted is lost by a clean stop: every NOTIFY a phone answered is in the registry.
            Assert.Equal("ok", RegistryFile.IntegrityCheck(daemon.DatabaseFile));
            var acknowledged = RegistryFile.Count(daemon.DatabaseFile, "SELECT COUNT(*) FROM devices WHERE state = 'provisioned' AND notify_acked_at IS NOT NULL");
            Assert.True(acknowledged == notified,
                $"{notified} phones answered their NOTIFY, the registry has {acknowledged} provisioned devices ({report.Summary})\n{log}");
        }
        finally
        {
            await daemon.DisposeAsync();
            Directory.Delete(Path.GetDirectoryName(config)!, recursive: true);
        }
    }
}
