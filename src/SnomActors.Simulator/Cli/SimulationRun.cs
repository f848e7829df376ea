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
/// One simulation in progress over real UDP: its own actor system with a <see cref="PhoneFarm"/> on
/// one or a few <see cref="UdpPhoneTransport"/> sockets and a <see cref="SimulationCollector"/>.
/// <see cref="Completion"/> gives the report once every phone has an outcome, the timeout passed,
/// or <see cref="Stop"/> was called (phones still running then count as unfinished); the actor
/// system is gone by the time it completes. Used by <c>snomactors simulate</c> and by the daemon's
/// simulated boot (<c>POST /api/simulations</c>).
/// </summary>
public sealed class SimulationRun
{
    private static readonly Config ActorConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        """);

    private readonly ActorSystem _system;
    private readonly IActorRef _collector;
    private readonly UdpPhoneTransportCounters _counters;
    private readonly CancellationTokenSource _stop;

    private SimulationRun(ActorSystem system, IActorRef collector, UdpPhoneTransportCounters counters, CancellationTokenSource stop, int phones)
    {
        _system = system;
        _collector = collector;
        _counters = counters;
        _stop = stop;
        Phones = phones;
    }

    /// <summary>Phones in the run.</summary>
    public int Phones { get; }

    /// <summary>The report, once the run is over and its actor system has terminated.</summary>
    public Task<SimulationReport> Completion { get; private set; } = null!;

    /// <summary>
    /// Boots <paramref name="phones"/> (planned by <see cref="PhonePlanner"/>) as <paramref name="settings"/> say;
    /// <c>settings.Phones</c> is ignored. The run stops at <c>settings.Timeout</c> or when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public static SimulationRun Start(SimulateSettings settings, IReadOnlyList<PhoneIdentity> phones, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(phones);
        var fetcher = settings.NoDownload ? null : new HttpSettingsFetcher(settings.DownloadTimeout);
        var system = ActorSystem.Create("simulate", ActorConfig);
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
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
            var collector = system.ActorOf(SimulationCollector.Props(phones.Count), "collector");
            var setup = new FarmSetup(phones, transports, options, settings.Rate, settings.LocalAddress, settings.Seed);
            system.ActorOf(PhoneFarm.Props(setup, collector), "farm");
            stop.CancelAfter(settings.Timeout);
            var run = new SimulationRun(system, collector, counters, stop, phones.Count);
            run.Completion = run.RunToEndAsync(fetcher);
            return run;
        }
        catch
        {
            stop.Dispose();
            fetcher?.Dispose();
            system.Terminate().Wait(TimeSpan.FromSeconds(10));
            throw;
        }
    }

    /// <summary>Counts so far (the last ones once the run is over).</summary>
    public async Task<SimulationCollector.Progress> GetProgressAsync(CancellationToken cancellationToken)
    {
        if (Completion.IsCompleted) return _final ?? new SimulationCollector.Progress(Phones, 0, 0, 0, 0, 0, 0);
        try
        {
            return await _collector.Ask<SimulationCollector.Progress>(SimulationCollector.GetProgress.Instance, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AskTimeoutException or ObjectDisposedException or InvalidOperationException)
        {
            // The system terminated between the check and the ask.
            return _final ?? new SimulationCollector.Progress(Phones, 0, 0, 0, 0, 0, 0);
        }
    }

    /// <summary>Ends the run now; phones that have no outcome yet are reported unfinished.</summary>
    public void Stop()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already over.
        }
    }

    private SimulationCollector.Progress? _final;

    private async Task<SimulationReport> RunToEndAsync(HttpSettingsFetcher? fetcher)
    {
        try
        {
            SimulationReport report;
            try
            {
                report = await _collector.Ask<SimulationReport>(SimulationCollector.WhenComplete.Instance, Timeout.InfiniteTimeSpan, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                report = await _collector.Ask<SimulationReport>(SimulationCollector.GetReport.Instance, TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            }
            _final = await _collector.Ask<SimulationCollector.Progress>(SimulationCollector.GetProgress.Instance, TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            return report with { Datagrams = new DatagramCounts(_counters.DatagramsSent, _counters.DatagramsReceived, _counters.SendErrors) };
        }
        finally
        {
            _stop.Dispose();
            await _system.Terminate().WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            fetcher?.Dispose();
        }
    }
}
