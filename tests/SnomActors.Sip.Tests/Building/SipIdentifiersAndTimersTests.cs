using SnomActors.Sip.Building;

namespace SnomActors.Sip.Tests.Building;

public sealed class SipIdentifiersAndTimersTests
{
    [Fact]
    public void Tags_are_64_random_bits_in_hex_and_do_not_repeat()
    {
        var tags = Enumerable.Range(0, 1000).Select(_ => SipIdentifiers.NewTag()).ToList();
        Assert.All(tags, t => Assert.Matches("^[0-9a-f]{16}$", t));
        Assert.Equal(tags.Count, tags.Distinct().Count());
    }

    [Fact]
    public void Branches_carry_the_magic_cookie()
    {
        Assert.Matches("^z9hG4bK[0-9a-f]{16}$", SipIdentifiers.NewBranch());
        Assert.NotEqual(SipIdentifiers.NewBranch(), SipIdentifiers.NewBranch());
        Assert.EndsWith("@192.0.2.1", SipIdentifiers.NewCallId("192.0.2.1"), StringComparison.Ordinal);
    }

    [Fact]
    public void Timer_e_doubles_from_t1_to_t2_giving_the_rfc_3261_send_times()
    {
        var timers = SipTimers.Default;
        var sendTimes = new List<double> { 0 };
        var e = timers.TimerEInitial;
        var now = TimeSpan.Zero;
        while (now + e < timers.TimerF)
        {
            now += e;
            sendTimes.Add(now.TotalSeconds);
            e = timers.NextTimerE(e, proceeding: false);
        }
        Assert.Equal([0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5], sendTimes);
        Assert.Equal(TimeSpan.FromSeconds(32), timers.TimerF);
        Assert.Equal(TimeSpan.FromSeconds(32), timers.TimerJ);
        Assert.Equal(TimeSpan.FromSeconds(5), timers.TimerK);
        Assert.Equal(timers.T2, timers.NextTimerE(timers.T1, proceeding: true));
    }
}
