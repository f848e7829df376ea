using System.Diagnostics;
using System.Net;
using Akka.Actor;
using SnomActors.Server.Actors;
using SnomActors.Server.Config;
using SnomActors.Simulator.Farm;
using SnomActors.Simulator.Fetching;
using SnomActors.Simulator.Phones;
using SnomActors.Simulator.Profiles;
using SnomActors.Simulator.Reporting;
using SnomActors.Transport;
using SnomActors.Transport.InMemory;

namespace SnomActors.Simulator.Tests.Simulation;

/// <summary>
/// The daemon's <see cref="DialogRouter"/> and a farm of simulated phones on one
/// <see cref="InMemoryNetwork"/>, driven in virtual time (see <see cref="VirtualTime"/>).
/// </summary>
internal static class InMemoryPnpSimulation
{
    public static readonly IPEndPoint ServerEndpoint = new(IPAddress.Parse("10.0.0.1"), 5060);

    public sealed record Settings(int Phones, VendorMix Mix, int Seed, InMemoryNetworkOptions Network)
    {
        /// <summary>
        /// Virtual-time step. Each TestScheduler.Advance scans every pending due time (cancelled timers
        /// included), so the step trades latency resolution against speed; 5 ms keeps 10,000 phones fast.
        /// </summary>
        public TimeSpan Step { get; init; } = TimeSpan.FromMilliseconds(5);
        public TimeSpan MaxVirtualTime { get; init; } = TimeSpan.FromSeconds(120);
        public double BootsPerSecond { get; init; }
    }

    public sealed record Outcome(
        SimulationReport Report,
        IReadOnlyList<PhoneResult> Results,
        InMemoryNetwork.Counters Network,
        ProvisioningEventCounter.Snapshot Events,
        DialogRouter.LiveDialogs LiveDialogsAtEnd,
        TimeSpan VirtualTimeToComplete,
        TimeSpan RealTime,
        int Fetches);

    public static Outcome Run(ActorSystem system, Settings settings)
    {
        var watch = Stopwatch.StartNew();
        var scheduler = VirtualTime.Scheduler(system);
        var start = scheduler.Now;
        var network = system.ActorOf(InMemoryNetwork.Props(settings.Network), "network");
        var events = system.ActorOf(ProvisioningEventCounter.Props(), "events");
        var options = new PnpOptions { ServerHost = "10.0.0.1", HttpPort = 8080 };
        var router = system.ActorOf(DialogRouter.Props(options, new InMemoryTransportFactory(network, ServerEndpoint, JoinMulticast: true)), "router");

        var phones = PhonePlanner.Plan(settings.Mix, settings.Phones, settings.Seed);
        var transports = phones.Select((p, i) => (ITransportFactory)new InMemoryTransportFactory(network, PhoneAddress(i, p.Profile.SipPort), JoinMulticast: false)).ToList();
        var fetcher = new FakeSettingsFetcher();
        var collector = system.ActorOf(SimulationCollector.Props(settings.Phones), "collector");
        var setup = new FarmSetup(phones, transports, new PhoneOptions { Fetcher = fetcher }, settings.BootsPerSecond, Seed: settings.Seed);
        system.ActorOf(PhoneFarm.Props(setup, collector), "farm");

        // Advance one step at a time until every phone has an outcome (checked every 50 steps).
        var steps = 0;
        while (scheduler.Now - start < settings.MaxVirtualTime)
        {
            scheduler.Advance(settings.Step);
            if (++steps % 20 != 0) continue;
            var progress = VirtualTime.Query<SimulationCollector.Progress>(collector, SimulationCollector.GetProgress.Instance);
            if (progress.Finished == settings.Phones) break;
        }
        var completedAfter = scheduler.Now - start;

        // Let the daemon finish: NOTIFY transactions (Timer F/K) and remembered SUBSCRIBE transactions (Timer J).
        var drainUntil = scheduler.Now + TimeSpan.FromSeconds(40);
        while (scheduler.Now < drainUntil) scheduler.Advance(TimeSpan.FromMilliseconds(50));

        var report = VirtualTime.Query<SimulationReport>(collector, SimulationCollector.GetReport.Instance);
        var results = VirtualTime.Query<SimulationCollector.Results>(collector, SimulationCollector.GetResults.Instance).Phones;
        var counters = VirtualTime.Query<InMemoryNetwork.Counters>(network, InMemoryNetwork.GetCounters.Instance);
        var snapshot = VirtualTime.Query<ProvisioningEventCounter.Snapshot>(events, ProvisioningEventCounter.GetSnapshot.Instance);
        var live = VirtualTime.Query<DialogRouter.LiveDialogs>(router, DialogRouter.GetLiveDialogs.Instance);
        return new Outcome(report, results, counters, snapshot, live, completedAfter, watch.Elapsed, fetcher.TotalFetches);
    }

    /// <summary>10.1.0.1, 10.1.0.2, … — one address per phone.</summary>
    public static IPEndPoint PhoneAddress(int index, int port)
    {
        var n = index + 1;
        return new IPEndPoint(new IPAddress([10, (byte)(1 + (n >> 16)), (byte)(n >> 8), (byte)n]), port);
    }
}
