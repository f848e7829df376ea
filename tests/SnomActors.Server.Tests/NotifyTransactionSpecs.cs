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
    public void The_final_response_ends_the_dialog_and_copies_of_it_are_absorbed_without_an_answer()
    {
        var exchange = StartExchange(SipText.Snom360);
        AdvanceTo(0.1);
        var answer = PhoneAnswer(exchange.Notify.Request, 200);
        Inject(answer, ByUnicast());
        ExpectEvent<NotifyAcknowledged>();

        // RFC 3261 §17.1.2.2: Completed would only absorb copies of the response for Timer K; the router
        // discards responses for a Call-ID without a dialog (§18.1.2), so the dialog ends at once.
        ExpectStopped(exchange.Dialog);
        var live = LiveDialogs();
        Assert.Equal(0, live.Dialogs);
        Assert.Equal(1, live.CompletedTransactions);
        Assert.Equal(1, Metrics.DialogsCompleted);
        Assert.Equal(0, Metrics.DialogsCrashed);

        // Copies of the phone's 200 (duplicated on the way, or answering a retransmission) within and
        // after Timer K: absorbed, never answered, no second event, no retransmission.
        foreach (var at in new[] { 0.6, 1.6, 3.6, 5.1, 10.0 })
        {
            AdvanceTo(at);
            Inject(answer, ByUnicast());
            ExpectNoDatagram();
            ExpectNoEvent();
        }
        Assert.Equal(1, Metrics.DialogsStarted);
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
        AdvanceTo(5.2);
        ExpectStopped(exchange.Dialog);
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
