using System.Net;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using SnomActors.Server.Actors;
using SnomActors.Server.Config;
using Xunit.Abstractions;

namespace SnomActors.Server.Tests;

/// <summary>
/// Push re-provisioning of many phones (issue 6 item 3: "--all is paced so that the resulting
/// downloads do not form their own storm"), in virtual time: the coordinator's 100 ms tick is
/// advanced one step at a time and every check-sync it hands the router is counted per tick.
/// </summary>
public sealed class ResyncPacingSpecs : TestKit
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    public ResyncPacingSpecs(ITestOutputHelper output) : base("""
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.loglevel = WARNING
        """, output: output)
    {
    }

    private TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    private static ResyncCoordinator.Target Phone(int i) =>
        new($"000413{i:x6}", new IPEndPoint(new IPAddress([10, 20, (byte)(i / 250), (byte)(1 + i % 250)]), 5060));

    [Theory]
    [InlineData(20, 45)]   // the default: two per tick
    [InlineData(5, 12)]    // less than one per tick: one every other tick
    [InlineData(35, 100)]  // a fraction per tick (3.5): 4 and 3 in turn, never 3 only (that was 30/s)
    public async Task N_phones_at_R_per_second_go_out_at_most_R_per_second_each_exactly_once_and_no_slower(int perSecond, int phones)
    {
        var router = CreateTestProbe("router");
        var coordinator = Sys.ActorOf(ResyncCoordinator.Props(router.Ref, perSecond), "resync");
        var targets = Enumerable.Range(0, phones).Select(Phone).ToList();

        var enqueued = await coordinator.Ask<ResyncCoordinator.Enqueued>(new ResyncCoordinator.Enqueue(targets, Reboot: true), TimeSpan.FromSeconds(3));
        Assert.Equal(phones, enqueued.Count);

        var perTick = new List<int>();
        var sent = new List<DialogRouter.SendCheckSync>();
        var queued = phones;
        for (var tick = 0; queued > 0; tick++)
        {
            Assert.True(tick < phones * 10 + 10, $"still {queued} queued after {tick} ticks");
            // Tick 0 is the timer's immediate first run (a zero delay still waits for the virtual clock).
            Clock.Advance(tick == 0 ? TimeSpan.Zero : Tick);
            // The status is answered after the tick was handled: the queue's shrinkage is what this tick sent.
            var status = await coordinator.Ask<ResyncCoordinator.Status>(ResyncCoordinator.GetStatus.Instance, TimeSpan.FromSeconds(3));
            var now = queued - status.Queued;
            queued = status.Queued;
            perTick.Add(now);
            for (var i = 0; i < now; i++) sent.Add(router.ExpectMsg<DialogRouter.SendCheckSync>(TimeSpan.FromSeconds(3)));
        }
        Clock.Advance(TimeSpan.FromSeconds(5));
        router.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        // No tick sends more than its share (rounded up), no second more than R.
        var maxPerTick = (int)Math.Ceiling(perSecond / 10.0);
        Assert.All(perTick, n => Assert.InRange(n, 0, maxPerTick));
        for (var start = 0; start < perTick.Count; start++)
            Assert.InRange(perTick.Skip(start).Take(10).Sum(), 0, perSecond);
        // All sent, each once, as asked (reboot), to the address each phone last used.
        Assert.Equal(targets.Select(t => t.Mac).Order(), sent.Select(s => s.Mac).Order());
        Assert.All(sent, s =>
        {
            Assert.True(s.Reboot);
            Assert.Equal(targets.Single(t => t.Mac == s.Mac).Endpoint, s.Target);
            Assert.Equal(coordinator, s.ReplyTo);
        });
        // And no slower than the rate: the last one leaves within N/R seconds of the first.
        var lastTick = perTick.FindLastIndex(n => n > 0);
        Assert.InRange(lastTick * Tick.TotalSeconds, 0, (double)phones / perSecond);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("NaN")]
    [InlineData("10001")]
    public void A_resync_rate_that_is_not_positive_or_absurdly_high_is_refused_naming_the_setting(string value)
    {
        var settings = new SnomActorsSettings();
        settings.Sip.ResyncPerSecond = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture);

        var error = Assert.Throws<ArgumentException>(() => settings.ToPnpOptions(5060));

        Assert.Contains("Sip:ResyncPerSecond", error.Message);
    }

    [Fact]
    public void The_resync_rate_setting_reaches_the_PnP_options()
    {
        var settings = new SnomActorsSettings();
        Assert.Equal(20, settings.ToPnpOptions(5060).ResyncPerSecond);

        settings.Sip.ResyncPerSecond = 2.5;

        Assert.Equal(2.5, settings.ToPnpOptions(5060).ResyncPerSecond);
    }
}
