using System.Globalization;
using System.Net;
using Akka.Actor;
using Akka.Configuration;
using SnomActors.Simulator.Farm;
using SnomActors.Simulator.Fetching;
using SnomActors.Simulator.Phones;
using SnomActors.Simulator.Reporting;
using SnomActors.Simulator.Udp;
using SnomActors.Transport;

namespace SnomActors.Simulator.Cli;

/// <summary>
/// Runs a simulation over real UDP: an actor system with a <see cref="PhoneFarm"/> on one or a few
/// <see cref="UdpPhoneTransport"/> sockets, a <see cref="SimulationCollector"/>, and a progress bar,
/// bounded by the timeout.
/// </summary>
public static class SimulationRunner
{
    private static readonly Config ActorConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        """);

    /// <summary>Runs and returns the report (phones still running at the timeout count as unfinished).</summary>
    public static async Task<SimulationReport> RunAsync(SimulateSettings settings, TextWriter? progressWriter, CancellationToken cancellationToken)
    {
        using var fetcher = settings.NoDownload ? null : new HttpSettingsFetcher(settings.DownloadTimeout);
        var system = ActorSystem.Create("simulate", ActorConfig);
        try
        {
            var phones = PhonePlanner.Plan(settings.Mix, settings.Phones, settings.Seed);
            var counters = new UdpPhoneTransportCounters();
            var transports = Enumerable.Range(0, Math.Max(1, settings.Sockets))
                .Select(_ => (ITransportFactory)new UdpPhoneTransportFactory(
                    new UdpPhoneTransportOptions(new IPEndPoint(settings.LocalAddress, 0), MulticastInterface: settings.MulticastInterface), counters))
                .ToList();
            var options = new PhoneOptions
            {
                Target = settings.Target,
                Fetcher = fetcher,
                OutboundLoss = settings.Loss,
                InboundLoss = settings.Loss,
            };
            var collector = system.ActorOf(SimulationCollector.Props(settings.Phones), "collector");
            var setup = new FarmSetup(phones, transports, options, settings.Rate, settings.LocalAddress, settings.Seed);
            system.ActorOf(PhoneFarm.Props(setup, collector), "farm");

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(settings.Timeout);
            var completion = collector.Ask<SimulationReport>(SimulationCollector.WhenComplete.Instance, Timeout.InfiniteTimeSpan, timeout.Token);
            var progress = progressWriter is null ? Task.CompletedTask : DrawProgressAsync(collector, progressWriter, timeout.Token);
            SimulationReport report;
            try
            {
                report = await completion.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                report = await collector.Ask<SimulationReport>(SimulationCollector.GetReport.Instance, TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            }
            await timeout.CancelAsync().ConfigureAwait(false);
            await progress.ConfigureAwait(false);
            if (progressWriter is not null)
            {
                var final = await collector.Ask<SimulationCollector.Progress>(SimulationCollector.GetProgress.Instance, TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
                await progressWriter.WriteLineAsync(FormatProgress(final)).ConfigureAwait(false);
            }
            return report with { Datagrams = new DatagramCounts(counters.DatagramsSent, counters.DatagramsReceived, counters.SendErrors) };
        }
        finally
        {
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task DrawProgressAsync(IActorRef collector, TextWriter writer, CancellationToken token)
    {
        try
        {
            while (!token.IsCancellationRequested)
            {
                var p = await collector.Ask<SimulationCollector.Progress>(SimulationCollector.GetProgress.Instance, TimeSpan.FromSeconds(5), token).ConfigureAwait(false);
                await writer.WriteAsync("\r" + FormatProgress(p) + "\u001b[K").ConfigureAwait(false);
                await writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                await Task.Delay(200, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (AskTimeoutException)
        {
        }
        await writer.WriteAsync("\r").ConfigureAwait(false);
    }

    /// <summary><c>[########------------] booted 500/1000 answered 480 notified 470 downloaded 460</c>.</summary>
    public static string FormatProgress(SimulationCollector.Progress p)
    {
        const int width = 24;
        var done = p.Expected == 0 ? width : (int)Math.Round(width * (double)p.Finished / p.Expected);
        var bar = new string('#', Math.Clamp(done, 0, width)) + new string('-', width - Math.Clamp(done, 0, width));
        return string.Create(CultureInfo.InvariantCulture,
            $"[{bar}] booted {p.Booted}/{p.Expected}  answered {p.Answered}  notified {p.Notified}  downloaded {p.Downloaded}  provisioned {p.Provisioned}");
    }
}
