using SnomActors.Server.Messages;
using SnomActors.Server.Tests.Support;
using SnomActors.Sip.Messages;
using Xunit.Abstractions;

namespace SnomActors.Server.Tests;

/// <summary>
/// The SUBSCRIBE server transaction (RFC 3261 §17.2.2, protocol.md §4.2): retransmissions get the
/// identical 200 while Timer J runs — first from the dialog, then from the router — and never a
/// second NOTIFY; plus duplicated and reordered datagrams.
/// </summary>
public sealed class SubscribeTransactionSpecs : PnpSpec
{
    public SubscribeTransactionSpecs(ITestOutputHelper output) : base(output) => StartRouter();

    [Fact]
    public void A_SUBSCRIBE_retransmission_within_Timer_J_gets_the_byte_identical_200_from_the_dialog_and_then_from_the_router()
    {
        var exchange = StartExchange(SipText.Snom360);

        // While the NOTIFY is in flight: the dialog itself answers, and sends no second NOTIFY.
        AdvanceTo(0.05);
        Inject(SipText.Snom360, ByMulticast());
        var fromDialog = ExpectResponse(200);
        Assert.Equal(exchange.Ok.Bytes, fromDialog.Bytes);
        Assert.Equal(exchange.Ok.Destination, fromDialog.Destination);
        Assert.Equal(exchange.Ok.Send.LocalAddress, fromDialog.Send.LocalAddress);
        ExpectNoDatagram(exchange.Dialog);

        AdvanceTo(0.1);
        Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast());
        ExpectEvent<NotifyAcknowledged>();
        ExpectStopped(exchange.Dialog);
        Assert.Equal(1, LiveDialogs().CompletedTransactions);

        // After the dialog ended: the router answers from what the dialog handed over.
        foreach (var at in new[] { 1.0, 10.0, 31.9 })
        {
            AdvanceTo(at);
            Inject(SipText.Snom360, ByMulticast());
            var fromRouter = ExpectResponse(200);
            Assert.Equal(exchange.Ok.Bytes, fromRouter.Bytes);
            Assert.Equal(exchange.Ok.Destination, fromRouter.Destination);
            Assert.Equal(exchange.Ok.Send.LocalAddress, fromRouter.Send.LocalAddress);
            ExpectNoDatagram();
        }
        ExpectNoEvent();
        Assert.Equal(4, Metrics.SubscribeRetransmissions);
        Assert.Equal(1, Metrics.DialogsStarted);
    }

    [Fact]
    public void After_Timer_J_the_router_forgets_the_finished_transaction()
    {
        var exchange = StartExchange(SipText.Snom360);
        AdvanceTo(0.1);
        Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast());
        ExpectEvent<NotifyAcknowledged>();
        Settle(exchange.Dialog);
        AdvanceTo(5.1);
        ExpectStopped(exchange.Dialog);

        for (var second = 6; second <= 31; second++)
        {
            AdvanceTo(second);
            Settle();
        }
        Assert.Equal(1, LiveDialogs().CompletedTransactions);
        // Timer J = 64·T1 = 32 s from the SUBSCRIBE; the router sweeps once a second.
        for (var second = 32; second <= 34; second++)
        {
            AdvanceTo(second);
            Settle();
        }
        Assert.Equal(new Actors.DialogRouter.LiveDialogs(0, 0), LiveDialogs());
    }

    /// <summary>Runs the snom 360 exchange to its end (200 for the NOTIFY, Timer K over) and returns it.</summary>
    private Exchange FinishedExchange(SipText subscribe, System.Net.IPEndPoint phone)
    {
        var exchange = StartExchange(subscribe, ByUnicast(phone));
        Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast(phone));
        ExpectEvent<NotifyAcknowledged>();
        ExpectStopped(exchange.Dialog);
        AdvanceTo(5);
        Assert.Equal((0, 1), (LiveDialogs().Dialogs, LiveDialogs().CompletedTransactions));
        return exchange;
    }

    private static readonly System.Net.IPEndPoint M700 = new(System.Net.IPAddress.Parse("10.0.0.91"), 5060);

    [Fact]
    public void After_the_dialog_ended_an_in_dialog_request_gets_481()
    {
        var exchange = FinishedExchange(SipText.SnomM700, M700);
        var refresh = SipText.SnomM700
            .With("Via", "SIP/2.0/UDP 10.0.0.91:5060;branch=z9hG4bK-refresh;rport")
            .With("To", exchange.Ok.Response.To.Raw)
            .With("CSeq", "2 SUBSCRIBE");
        AdvanceTo(6);
        Inject(refresh, ByUnicast(M700));
        ExpectResponse(481);
        ExpectNoDatagram();
    }

    [Fact]
    public void After_the_dialog_ended_a_CANCEL_of_the_answered_SUBSCRIBE_gets_200_within_Timer_J()
    {
        FinishedExchange(SipText.SnomM700, M700);
        var cancel = SipText.SnomM700
            .WithStartLine("CANCEL sip:MAC%3a000413B50A1C@224.0.1.75 SIP/2.0")
            .With("CSeq", "1 CANCEL")
            .Without("Event").Without("Accept").Without("Expires");
        AdvanceTo(6);
        Inject(cancel, ByUnicast(M700));
        Assert.Equal(SipMethods.Cancel, ExpectResponse(200).Response.CSeq.Method);
        ExpectNoDatagram();
    }

    [Fact]
    public void After_the_dialog_ended_an_OPTIONS_with_the_same_Call_ID_gets_200()
    {
        FinishedExchange(SipText.SnomM700, M700);
        var options = SipText.SnomM700
            .WithStartLine("OPTIONS sip:10.0.0.1:5060 SIP/2.0")
            .With("Via", "SIP/2.0/UDP 10.0.0.91:5060;branch=z9hG4bK-options2;rport")
            .With("CSeq", "3 OPTIONS")
            .Without("Event").Without("Accept").Without("Expires");
        AdvanceTo(6);
        Inject(options, ByUnicast(M700));
        Assert.Contains("ua-profile", ExpectResponse(200).Response.GetList(HeaderNames.AllowEvents));
    }

    [Fact]
    public void A_new_SUBSCRIBE_transaction_on_a_running_dialogs_Call_ID_is_told_to_retry_and_the_retry_is_provisioned()
    {
        var exchange = StartExchange(SipText.SnomM700, ByUnicast(M700));
        var again = SipText.SnomM700
            .With("Via", "SIP/2.0/UDP 10.0.0.91:5060;branch=z9hG4bK-second;rport")
            .With("From", "<sip:512@10.0.0.90>;tag=second")
            .With("CSeq", "2 SUBSCRIBE");
        AdvanceTo(0.2);
        Inject(again, ByUnicast(M700));
        var busy = ExpectResponse(500).Response;
        Assert.Equal("1", busy.GetFirst(HeaderNames.RetryAfter));
        ExpectNoDatagram(exchange.Dialog);

        Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast(M700));
        ExpectEvent<NotifyAcknowledged>();
        Settle(exchange.Dialog);
        AdvanceTo(5.2);
        ExpectStopped(exchange.Dialog);

        // The retry, after the first dialog ended but within its Timer J, is a new exchange.
        AdvanceTo(6.2);
        Inject(again, ByUnicast(M700));
        var ok = ExpectResponse(200).Response;
        Assert.Equal(new Sip.Headers.CSeqHeader(2, SipMethods.Subscribe), ok.CSeq);
        Assert.NotEqual(exchange.Ok.Response.To.Tag, ok.To.Tag);
        Assert.Equal(exchange.CallId, ExpectNotify().Request.CallId);
    }

    [Fact]
    public void A_SUBSCRIBE_retransmitted_while_the_NOTIFY_is_pending_gets_the_same_200_and_never_a_second_NOTIFY()
    {
        var exchange = StartExchange(SipText.Snom360);
        AdvanceTo(0.4);
        Inject(SipText.Snom360, ByMulticast());
        Assert.Equal(exchange.Ok.Bytes, ExpectResponse(200).Bytes);
        ExpectNoDatagram(exchange.Dialog);

        // The NOTIFY keeps its own schedule: the next send is the Timer E retransmission at 0.5 s.
        AdvanceTo(0.5);
        Assert.Equal(exchange.Notify.Bytes, ExpectNotify().Bytes);
        Settle(exchange.Dialog);
        AdvanceTo(1.4);
        ExpectNoDatagram(exchange.Dialog);
        Assert.Equal(1, LiveDialogs().Dialogs);
    }

    [Fact]
    public void Two_identical_SUBSCRIBEs_back_to_back_make_one_dialog_two_identical_200s_and_one_NOTIFY()
    {
        var subscribe = SipText.Snom360;
        Inject(subscribe, ByMulticast());
        Inject(subscribe, ByMulticast());

        // The NOTIFY passes the pacer, so the second 200 may overtake it.
        var wire = new[] { ExpectDatagram(), ExpectDatagram(), ExpectDatagram() };
        var oks = wire.Where(o => o.Message is SipResponse).ToArray();
        Assert.Equal(2, oks.Length);
        var first = oks[0];
        var second = oks[1];
        Assert.Equal(200, first.Response.StatusCode);
        Assert.Equal(SipMethods.Notify, Assert.Single(wire, o => o.Message is SipRequest).Request.Method);
        Assert.Equal(first.Bytes, second.Bytes);
        var dialog = DialogFor(first.Response.CallId);
        ExpectNoDatagram(dialog);
        Assert.Equal(1, LiveDialogs().Dialogs);
        Assert.Equal(1, Metrics.DialogsStarted);
        ExpectEvent<SubscribeSeen>();
        ExpectEvent<SubscribeAnswered>();
        ExpectEvent<NotifySent>();
        ExpectNoEvent(dialog);
    }

    [Fact]
    public void The_phones_200_arriving_twice_is_acknowledged_once()
    {
        var exchange = StartExchange(SipText.Snom360);
        var answer = PhoneAnswer(exchange.Notify.Request, 200);
        Inject(answer, ByUnicast());
        Inject(answer, ByUnicast());

        ExpectEvent<NotifyAcknowledged>();
        ExpectNoEvent(exchange.Dialog);
        ExpectNoDatagram(exchange.Dialog);
        Assert.Equal(1, Metrics.NotifyOutcomes["acknowledged"]);
    }

    [Fact]
    public void The_200_for_the_NOTIFY_arriving_before_the_SUBSCRIBE_retransmission_still_leaves_the_200_to_be_repeated()
    {
        // The phone got our NOTIFY but not yet our 200 (reordered on the way): it answers the NOTIFY
        // and retransmits its SUBSCRIBE. It must get the same 200 and no new NOTIFY.
        var exchange = StartExchange(SipText.Snom360);
        AdvanceTo(0.3);
        Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast());
        Inject(SipText.Snom360, ByMulticast());

        ExpectEvent<NotifyAcknowledged>();
        Assert.Equal(exchange.Ok.Bytes, ExpectResponse(200).Bytes);
        ExpectNoDatagram(exchange.Dialog);
        AdvanceTo(0.5);
        ExpectNoDatagram(exchange.Dialog);
    }

    [Fact]
    public void A_NOTIFY_acknowledged_after_three_retransmissions_is_not_sent_again()
    {
        var exchange = StartExchange(SipText.Snom360);
        foreach (var at in new[] { 0.5, 1.5, 3.5 })
        {
            AdvanceTo(at);
            ExpectNotify();
            Settle(exchange.Dialog);
        }
        AdvanceTo(4);
        Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast());
        ExpectEvent<NotifyAcknowledged>();
        Settle(exchange.Dialog);
        AdvanceTo(7.5);
        ExpectNoDatagram();
        Assert.Equal(3, Metrics.NotifyRetransmissions);
    }

    [Fact]
    public void A_NOTIFY_acknowledged_before_the_first_retransmission_is_sent_only_once()
    {
        var exchange = StartExchange(SipText.Snom360);
        AdvanceTo(0.2);
        Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast());
        ExpectEvent<NotifyAcknowledged>();
        Settle(exchange.Dialog);
        AdvanceTo(0.5);
        ExpectNoDatagram(exchange.Dialog);
        AdvanceTo(1.5);
        ExpectNoDatagram(exchange.Dialog);
        Assert.Equal(0, Metrics.NotifyRetransmissions);
    }

    [Fact]
    public void A_new_SUBSCRIBE_after_a_reboot_is_a_new_transaction_with_a_new_dialog_and_NOTIFY()
    {
        var first = StartExchange(SipText.Snom360);
        var rebooted = SipText.Snom360
            .With("Call-ID", "777@141.41.40.131")
            .With("From", "<sip:MAC%3a00041329882C@voip.ikt-bs.de>;tag=42");
        Inject(rebooted, ByMulticast());
        var ok = ExpectResponse(200).Response;
        Assert.Equal("777@141.41.40.131", ok.CallId);
        Assert.NotEqual(first.Ok.Response.To.Tag, ok.To.Tag);
        Assert.Equal("777@141.41.40.131", ExpectNotify().Request.CallId);
        Assert.Equal(2, LiveDialogs().Dialogs);
    }
}
