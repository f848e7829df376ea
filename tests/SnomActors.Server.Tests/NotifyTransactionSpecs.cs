using Akka.Actor;
using SnomActors.Server.Messages;
using SnomActors.Server.Tests.Support;
using SnomActors.Sip.Messages;
using Xunit.Abstractions;

namespace SnomActors.Server.Tests;

/// <summary>
/// The NOTIFY client transaction (RFC 3261 §17.1.2, protocol.md §4.3) in virtual time: Timer E
/// retransmissions, Proceeding on a 1xx, Timer F give-up, absorption of response copies.
/// </summary>
public sealed class NotifyTransactionSpecs : PnpSpec
{
    public NotifyTransactionSpecs(ITestOutputHelper output) : base(output) => StartRouter();

    /// <summary>RFC 3261 §17.1.2.2: E starts at T1 and doubles up to T2 (0.5, 1, 2, 4, 4 … s).</summary>
    private static readonly double[] TimerERetransmissions = [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5];

    [Fact]
    public void The_NOTIFY_is_sent_at_0_and_retransmitted_exactly_at_0_5_1_5_3_5_7_5_11_5_15_5_19_5_23_5_27_5_and_31_5_seconds()
    {
        var exchange = StartExchange(SipText.Snom360);
        var sends = new List<double> { 0 };
        foreach (var at in TimerERetransmissions)
        {
            AdvanceTo(at - 0.001);
            ExpectNoDatagram(exchange.Dialog);
            AdvanceTo(at);
            var again = ExpectNotify();
            // A retransmission is the same request: same branch, same bytes, same destination.
            Assert.Equal(exchange.Notify.Bytes, again.Bytes);
            Assert.Equal(exchange.Notify.Destination, again.Destination);
            sends.Add(Elapsed);
            Settle(exchange.Dialog);
        }
        AdvanceTo(31.999);
        ExpectNoDatagram(exchange.Dialog);

        Assert.Equal([0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5], sends);
        Assert.Equal(10, Metrics.NotifyRetransmissions);
    }

    [Fact]
    public void Timer_F_at_32_seconds_gives_up_with_ProvisioningFailed_and_the_dialog_stops()
    {
        var exchange = StartExchange(SipText.Snom360);
        foreach (var at in TimerERetransmissions)
        {
            AdvanceTo(at);
            ExpectNotify();
            Settle(exchange.Dialog);
        }
        AdvanceTo(31.999);
        ExpectNoEvent(exchange.Dialog);

        AdvanceTo(32);
        var failed = ExpectEvent<ProvisioningFailed>();
        Assert.Equal(exchange.CallId, failed.CallId);
        Assert.Equal("00041329882c", failed.Mac);
        Assert.Null(failed.StatusCode);
        Assert.Contains("Timer F", failed.Reason);
        ExpectStopped(exchange.Dialog);
        Assert.Equal(0, LiveDialogs().Dialogs);
        Assert.Equal(0, LiveDialogs().AwaitingTimerK);
        Assert.Equal(1, Metrics.NotifyTimeouts);
        Assert.Equal(0, Metrics.LiveDialogs);

        // Terminated: nothing more is ever sent for this exchange.
        AdvanceTo(40);
        ExpectNoDatagram();
    }

    [Fact]
    public void A_1xx_to_the_NOTIFY_moves_to_Proceeding_where_retransmissions_come_every_T2_until_Timer_F()
    {
        var exchange = StartExchange(SipText.Snom360);
        AdvanceTo(0.5);
        ExpectNotify();
        Settle(exchange.Dialog);

        // 1xx at 0.7 s: E (now 1 s) still fires at 1.5 s, then every T2 = 4 s (in Trying it would be 3.5 s).
        AdvanceTo(0.7);
        Inject(PhoneAnswer(exchange.Notify.Request, 100, "Trying"), ByUnicast());
        ExpectNoDatagram(exchange.Dialog);
        foreach (var at in new[] { 1.5, 5.5, 9.5, 13.5, 17.5, 21.5, 25.5, 29.5 })
        {
            AdvanceTo(at - 0.001);
            ExpectNoDatagram(exchange.Dialog);
            AdvanceTo(at);
            Assert.Equal(exchange.Notify.Bytes, ExpectNotify().Bytes);
            Settle(exchange.Dialog);
        }
        AdvanceTo(31.999);
        ExpectNoDatagram(exchange.Dialog);
        ExpectNoEvent(exchange.Dialog);

        AdvanceTo(32);
        Assert.Contains("Timer F", ExpectEvent<ProvisioningFailed>().Reason);
        ExpectStopped(exchange.Dialog);
    }

    [Fact]
    public void In_Proceeding_a_final_response_stops_the_retransmissions()
    {
        var exchange = StartExchange(SipText.Snom360);
        AdvanceTo(0.2);
        Inject(PhoneAnswer(exchange.Notify.Request, 180, "Ringing"), ByUnicast());
        Settle(exchange.Dialog);
        AdvanceTo(0.5);
        ExpectNotify();
        Settle(exchange.Dialog);
        AdvanceTo(4.5);
        ExpectNotify();
        Settle(exchange.Dialog);

        AdvanceTo(6);
        Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast());
        Assert.Equal(200, ExpectEvent<NotifyAcknowledged>().StatusCode);
        Settle(exchange.Dialog);
        AdvanceTo(8.5);
        ExpectNoDatagram(exchange.Dialog);
    }

    [Fact]
    public void A_200_to_the_NOTIFY_ends_the_retransmissions_and_publishes_NotifyAcknowledged()
    {
        var exchange = StartExchange(SipText.Snom360);
        AdvanceTo(0.5);
        ExpectNotify();
        Settle(exchange.Dialog);

        AdvanceTo(0.6);
        Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast());
        var acknowledged = ExpectEvent<NotifyAcknowledged>();
        Assert.Equal(exchange.CallId, acknowledged.CallId);
        Assert.Equal("00041329882c", acknowledged.Mac);
        Assert.Equal(200, acknowledged.StatusCode);
        Settle(exchange.Dialog);

        foreach (var at in new[] { 1.5, 3.5 })
        {
            AdvanceTo(at);
            ExpectNoDatagram(exchange.Dialog);
        }
        Assert.Equal(1, Metrics.NotifyRetransmissions);
    }

    [Fact]
    public void After_the_final_response_the_dialog_ends_and_the_router_holds_Timer_K_absorbing_copies_until_T4()
    {
        var exchange = StartExchange(SipText.Snom360);
        AdvanceTo(0.1);
        var answer = PhoneAnswer(exchange.Notify.Request, 200);
        Inject(answer, ByUnicast());
        ExpectEvent<NotifyAcknowledged>();

        // The outcome is reported at the final response and the actor ends: no longer live for the
        // cap, the gauge or a drain; the router answers SUBSCRIBE retransmissions (Timer J) and
        // holds the NOTIFY transaction's Completed state (Timer K).
        ExpectStopped(exchange.Dialog);
        Assert.Equal(new Actors.DialogRouter.LiveDialogs(0, 1, 1), LiveDialogs());
        Assert.Equal(0, Metrics.LiveDialogs);
        Assert.Equal(1, Metrics.DialogsCompleted);
        Assert.Equal(0, Metrics.DialogsCrashed);

        // RFC 3261 §17.1.2.2 Completed: copies of the 200 (duplicated on the way, or answering a
        // retransmission) are absorbed — no datagram, no second event.
        foreach (var at in new[] { 0.6, 1.6, 3.6, 5.0 })
        {
            AdvanceTo(at);
            Inject(answer, ByUnicast());
            ExpectNoDatagram();
            ExpectNoEvent();
        }
        Assert.Equal(1, LiveDialogs().AwaitingTimerK);

        // Timer K = T4 = 5 s after the final response (5.1 s): Terminated, forgotten at the router's
        // next sweep, which runs every second.
        AdvanceTo(6.2);
        Assert.Equal(new Actors.DialogRouter.LiveDialogs(0, 1, 0), LiveDialogs());

        // After Timer K the router discards copies as strays (§18.1.2): still nothing sent.
        AdvanceTo(10);
        Inject(answer, ByUnicast());
        ExpectNoDatagram();
        ExpectNoEvent();
        Assert.Equal(1, Metrics.DialogsStarted);
        Assert.Equal(1, Metrics.DialogsCompleted);
    }

    [Fact]
    public void An_error_answered_NOTIFY_is_Completed_for_Timer_K_too_and_its_copies_are_absorbed()
    {
        var exchange = StartExchange(SipText.Snom360);
        AdvanceTo(0.2);
        var answer = PhoneAnswer(exchange.Notify.Request, 489, "Bad Event");
        Inject(answer, ByUnicast());
        Assert.Equal(489, ExpectEvent<ProvisioningFailed>().StatusCode);
        ExpectStopped(exchange.Dialog);
        Assert.Equal(1, LiveDialogs().AwaitingTimerK);

        AdvanceTo(5.199);
        Inject(answer, ByUnicast());
        ExpectNoDatagram();
        ExpectNoEvent();
        Assert.Equal(1, LiveDialogs().AwaitingTimerK);

        // Timer K at 5.2 s, and the router's once-a-second sweep after it.
        AdvanceTo(6.3);
        Assert.Equal(0, LiveDialogs().AwaitingTimerK);
    }

    [Fact]
    public void A_Timer_F_give_up_terminates_at_once_without_Timer_K()
    {
        var exchange = StartExchange(SipText.Snom360);
        for (var second = 1; second <= 32; second++)
        {
            AdvanceTo(second);
            Settle(exchange.Dialog);
        }
        ExpectEvent<ProvisioningFailed>();
        // RFC 3261 §17.1.2.2: Timer F → Terminated directly; the clock does not move again.
        ExpectStopped(exchange.Dialog);
        Assert.Equal(0, LiveDialogs().AwaitingTimerK);
    }

    [Fact]
    public async Task A_drain_does_not_wait_for_NOTIFY_transactions_that_only_wait_out_Timer_K()
    {
        var exchange = StartExchange(SipText.Snom360);
        AdvanceTo(0.1);
        Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast());
        ExpectEvent<NotifyAcknowledged>();
        ExpectStopped(exchange.Dialog);
        Assert.Equal(1, LiveDialogs().AwaitingTimerK);

        // The virtual clock stands still: Drained can only come from the router not counting Completed.
        await Router.Ask<Actors.DialogRouter.Drained>(Actors.DialogRouter.Drain.Instance, TimeSpan.FromSeconds(3));
        Assert.Equal(1, LiveDialogs().AwaitingTimerK);
    }

    [Fact]
    public async Task A_drain_does_not_wait_for_an_answered_check_sync_NOTIFY_in_Timer_K_either()
    {
        var outcomes = CreateTestProbe();
        var phone = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.0.0.91"), 5060);
        Router.Tell(new Actors.DialogRouter.SendCheckSync("000413b50a1c", phone, false, outcomes.Ref));
        var checkSync = ExpectNotify().Request;
        Inject(PhoneAnswer(checkSync, 200), ByUnicast(phone));
        Assert.Equal(200, outcomes.ExpectMsg<Actors.CheckSyncTransaction.Outcome>().StatusCode);
        Settle();
        Assert.Equal(new Actors.DialogRouter.LiveDialogs(0, 0, 1), LiveDialogs());

        await Router.Ask<Actors.DialogRouter.Drained>(Actors.DialogRouter.Drain.Instance, TimeSpan.FromSeconds(3));

        // Timer K still ends it, and nothing is left behind.
        AdvanceTo(5);
        AwaitAssert(() => Assert.Equal(new Actors.DialogRouter.LiveDialogs(0, 0, 0), LiveDialogs()));
        ExpectNoDatagram();
    }

    [Fact]
    public async Task A_drain_waits_for_a_NOTIFY_still_in_flight()
    {
        var exchange = StartExchange(SipText.Snom360);
        var drained = Router.Ask<Actors.DialogRouter.Drained>(Actors.DialogRouter.Drain.Instance, TimeSpan.FromSeconds(10));
        Settle(exchange.Dialog);
        Assert.False(drained.IsCompleted);

        Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast());
        await drained;
    }

    [Theory]
    [InlineData(481, "Call/Transaction Does Not Exist")]
    [InlineData(489, "Bad Event")]
    [InlineData(500, "Server Internal Error")]
    public void A_NOTIFY_rejected_by_the_phone_fails_with_the_status_and_is_not_retransmitted(int status, string reason)
    {
        var exchange = StartExchange(SipText.Snom360);
        AdvanceTo(0.2);
        Inject(PhoneAnswer(exchange.Notify.Request, status, reason), ByUnicast());

        var failed = ExpectEvent<ProvisioningFailed>();
        Assert.Equal(exchange.CallId, failed.CallId);
        Assert.Equal(status, failed.StatusCode);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), failed.Reason);
        Settle(exchange.Dialog);

        foreach (var at in new[] { 0.5, 1.5, 3.5 })
        {
            AdvanceTo(at);
            ExpectNoDatagram(exchange.Dialog);
        }
        ExpectNoEvent(exchange.Dialog);
        ExpectStopped(exchange.Dialog); // the router holds Completed until Timer K
        AdvanceTo(40);
        ExpectNoDatagram();
        ExpectNoEvent();
    }

    [Fact]
    public void A_response_with_another_branch_or_CSeq_method_is_not_taken_for_the_NOTIFY_response()
    {
        var exchange = StartExchange(SipText.Snom360);
        var notify = exchange.Notify.Request;
        var ourBranch = notify.TopVia.Branch!;
        var otherBranch = System.Text.Encoding.UTF8.GetString(PhoneAnswer(notify, 200)).Replace(ourBranch, "z9hG4bKnotours", StringComparison.Ordinal);
        var otherMethod = System.Text.Encoding.UTF8.GetString(PhoneAnswer(notify, 200)).Replace(" NOTIFY\r\n", " SUBSCRIBE\r\n", StringComparison.Ordinal);
        AdvanceTo(0.1);
        Inject(System.Text.Encoding.UTF8.GetBytes(otherBranch), ByUnicast());
        Inject(System.Text.Encoding.UTF8.GetBytes(otherMethod), ByUnicast());
        ExpectNoEvent(exchange.Dialog);

        AdvanceTo(0.5);
        Assert.Equal(exchange.Notify.Bytes, ExpectNotify().Bytes);
    }
}
