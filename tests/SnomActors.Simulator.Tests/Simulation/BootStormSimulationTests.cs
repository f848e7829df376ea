using System.Globalization;
using Akka.Actor;
using SnomActors.Simulator.Phones;
using SnomActors.Simulator.Profiles;
using SnomActors.Transport.InMemory;
using Xunit.Abstractions;

namespace SnomActors.Simulator.Tests.Simulation;

/// <summary>
/// The CI simulation: a boot storm of mixed-vendor phones against the daemon's router through
/// a lossy, duplicating, reordering in-memory network, in virtual time.
/// </summary>
public sealed class BootStormSimulationTests(ITestOutputHelper output)
{
    /// <summary>
    /// Panasonic phones give up after 5 s without any answer; at 10 % loss in each direction roughly
    /// one in 5,000 of them fails PnP for real, so the "every phone" storm uses the vendors whose
    /// patience is Timer F or Grandstream's five transmissions.
    /// </summary>
    private static readonly VendorMix StormMix = VendorMix.Parse("snom=30,yealink=25,grandstream=20,gigaset=10,fanvil=15");

    private static InMemoryNetworkOptions LossyLan(int seed) => new()
    {
        LossProbability = 0.10,
        DuplicationProbability = 0.05,
        BaseDelay = TimeSpan.FromMilliseconds(1),
        Jitter = TimeSpan.FromMilliseconds(20),
        Seed = seed,
    };

    private static int StormPhones =>
        int.TryParse(Environment.GetEnvironmentVariable("SNOMACTORS_SIM_PHONES"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : 10_000;

    [Fact]
    public void Every_phone_of_a_mixed_vendor_boot_storm_is_provisioned_exactly_once_through_a_lossy_network()
    {
        var phones = StormPhones;
        using var system = ActorSystem.Create("storm", VirtualTime.Config);
        var outcome = InMemoryPnpSimulation.Run(system, new InMemoryPnpSimulation.Settings(phones, StormMix, Seed: 4242, LossyLan(4242)));
        output.WriteLine(outcome.Report.ToTable());
        output.WriteLine($"network: {outcome.Network}");
        output.WriteLine($"virtual time to complete: {outcome.VirtualTimeToComplete}, real time: {outcome.RealTime}");

        Assert.True(outcome.Network.Dropped > 0 && outcome.Network.Duplicated > 0, "the network must actually lose and duplicate");
        Assert.Equal(phones, outcome.Report.Provisioned);
        Assert.Equal(phones, outcome.Fetches);
        // Exactly once: one acknowledged NOTIFY per MAC, for every MAC.
        Assert.Equal(phones, outcome.Events.AcknowledgedPerMac.Count);
        Assert.All(outcome.Events.AcknowledgedPerMac, kv => Assert.Equal(1, kv.Value));
        Assert.All(outcome.Events.SeenPerMac, kv => Assert.Equal(1, kv.Value));
        Assert.Equal(0, outcome.Events.Failed);
        Assert.Equal(0, outcome.LiveDialogsAtEnd.Dialogs);
        Assert.Equal(0, outcome.LiveDialogsAtEnd.CompletedTransactions);
    }

    [Fact]
    public void A_simulation_is_repeatable_for_its_seed_and_differs_for_another_seed()
    {
        InMemoryPnpSimulation.Outcome RunOnce(int seed)
        {
            using var system = ActorSystem.Create("repeat", VirtualTime.Config);
            return InMemoryPnpSimulation.Run(system, new InMemoryPnpSimulation.Settings(600, VendorMix.All, seed, LossyLan(seed)));
        }

        static string Fingerprint(InMemoryPnpSimulation.Outcome o) => string.Join("\n",
            o.Results.Select(r => $"{r.Index} {r.Mac} {r.OutcomeLabel} {r.SubscribeTransmissions} {r.NotifiesReceived} " +
                                  $"{r.SubscribeToAnswer?.Ticks} {r.SubscribeToNotify?.Ticks} {r.BootToDownloaded?.Ticks}"))
            + $"\n{o.Network}";

        var first = RunOnce(7);
        var second = RunOnce(7);
        var other = RunOnce(8);
        Assert.Equal(Fingerprint(first), Fingerprint(second));
        Assert.NotEqual(Fingerprint(first), Fingerprint(other));
    }
}
