using System.Net;
using Akka.Actor;
using SnomActors.Server.Actors;
using SnomActors.Server.Messages;
using SnomActors.Server.Tests.Support;
using Xunit.Abstractions;

namespace SnomActors.Server.Tests;

/// <summary>
/// Faults (architecture.md): a dialog that throws is stopped alone, never restarted with half its
/// state; a router that throws is restarted and keeps its dialogs in flight.
/// </summary>
public sealed class SupervisionSpecs : PnpSpec
{
    private static readonly IPEndPoint YealinkAddress = new(IPAddress.Parse("10.1.3.239"), 5059);

    public SupervisionSpecs(ITestOutputHelper output) : base(output) => StartRouter();

    [Fact]
    public void A_dialog_that_throws_stops_alone_and_the_router_reports_its_exchange_as_failed()
    {
        var snom = StartExchange(SipText.Snom360);
        var yealink = StartYealinkExchange();

        snom.Dialog.Tell(new DialogMessages.CrashForTest("injected dialog fault"));

        var failed = ExpectEvent<ProvisioningFailed>();
        Assert.Equal(snom.CallId, failed.CallId);
        Assert.Equal("00041329882c", failed.Mac);
        Assert.Equal("dialog failed", failed.Reason);
        ExpectStopped(snom.Dialog);
        Assert.Equal(1, LiveDialogs().Dialogs);
        Assert.Equal(1, Metrics.DialogsCrashed);

        // The other dialog goes on: its NOTIFY alone is retransmitted and its 200 is taken.
        AdvanceTo(0.5);
        var again = ExpectNotify();
        Assert.Equal(yealink.Notify.Bytes, again.Bytes);
        ExpectNoDatagram(yealink.Dialog);
        Inject(PhoneAnswer(yealink.Notify.Request, 200), ByUnicast(YealinkAddress));
        Assert.Equal(yealink.CallId, ExpectEvent<NotifyAcknowledged>().CallId);

        // The failed exchange's late 200 finds no transaction.
        Inject(PhoneAnswer(snom.Notify.Request, 200), ByUnicast());
        ExpectNoEvent(yealink.Dialog);
    }

    [Fact]
    public void After_a_router_restart_a_retransmitted_200_for_the_NOTIFY_still_reaches_its_dialog()
    {
        var exchange = StartExchange(SipText.Snom360);
        AdvanceTo(0.5);
        ExpectNotify();
        Settle(exchange.Dialog);

        // The 200 is already queued behind the fault: it must not be lost while the router re-learns its dialogs.
        Router.Tell(new DialogMessages.CrashForTest("injected router fault"));
        Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast());

        var acknowledged = ExpectEvent<NotifyAcknowledged>();
        Assert.Equal(exchange.CallId, acknowledged.CallId);
        Settle(exchange.Dialog);
        AdvanceTo(1.5);
        ExpectNoDatagram(exchange.Dialog);
        // The acknowledged dialog ended and handed its SUBSCRIBE transaction (Timer J) and its NOTIFY
        // transaction's Completed state (Timer K) to the restarted router.
        Assert.Equal(new DialogRouter.LiveDialogs(0, 1, 1), LiveDialogs());
        Assert.Equal(1, TransportsCreated);
    }

    [Fact]
    public void After_a_router_restart_a_retransmitted_SUBSCRIBE_gets_the_same_200_and_no_second_dialog()
    {
        var exchange = StartExchange(SipText.Snom360);

        Router.Tell(new DialogMessages.CrashForTest("injected router fault"));
        SettleAfterRouterRestart(exchange.Dialog);
        AdvanceTo(0.3);
        Inject(SipText.Snom360, ByMulticast());

        Assert.Equal(exchange.Ok.Bytes, ExpectResponse(200).Bytes);
        ExpectNoDatagram(exchange.Dialog);
        ExpectNoEvent(exchange.Dialog);
        Assert.Equal(1, LiveDialogs().Dialogs);
        Assert.Equal(1, Metrics.DialogsStarted);

        // The dialog's timers were untouched by the router's fault.
        AdvanceTo(0.5);
        Assert.Equal(exchange.Notify.Bytes, ExpectNotify().Bytes);
    }

    [Fact]
    public void A_dialog_that_finishes_while_the_router_restarts_is_still_accounted_for()
    {
        var exchange = StartExchange(SipText.Snom360);
        Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast());
        ExpectEvent<NotifyAcknowledged>();
        Settle(exchange.Dialog);

        Router.Tell(new DialogMessages.CrashForTest("injected router fault"));
        SettleAfterRouterRestart(exchange.Dialog);
        AdvanceTo(5);
        ExpectStopped(exchange.Dialog);
        AwaitAssert(() => Assert.Equal(0, LiveDialogs().Dialogs));

        // A new phone is served normally afterwards.
        Inject(SipText.YealinkW52P, ByMulticast(YealinkAddress));
        ExpectResponse(200);
        ExpectNotify();
    }

    [Fact]
    public void After_a_router_restart_during_a_check_sync_datagrams_are_routed_without_waiting()
    {
        var outcomes = CreateTestProbe();
        var phone = new IPEndPoint(IPAddress.Parse("10.0.0.91"), 5060);
        Router.Tell(new DialogRouter.SendCheckSync("000413b50a1c", phone, false, outcomes.Ref));
        var checkSync = ExpectNotify().Request;
        Assert.Contains("check-sync", checkSync.Event!.Raw);

        // Every child must re-introduce itself, the check-sync transaction included (else the router
        // holds datagrams until its re-attach timeout), and none may start over with a new NOTIFY.
        Router.Tell(new DialogMessages.CrashForTest("injected router fault"));
        Inject(SipText.Snom360, ByMulticast());
        ExpectResponse(200);
        ExpectNotify();
        Inject(PhoneAnswer(checkSync, 200), ByUnicast(phone));
        Assert.Equal(200, outcomes.ExpectMsg<CheckSyncTransaction.Outcome>().StatusCode);
        ExpectNoDatagram();
    }

    /// <summary>
    /// The router's restart restarts its dialogs too; a dialog answers the first Reattach before its
    /// state is handed over (the hand-over waits right behind it in the mailbox), so the second round
    /// trip proves the dialog is whole again before the clock moves.
    /// </summary>
    private void SettleAfterRouterRestart(IActorRef dialog)
    {
        Settle(dialog);
        Settle(dialog);
    }

    private Exchange StartYealinkExchange()
    {
        Inject(SipText.YealinkW52P, ByMulticast(YealinkAddress));
        var ok = ExpectResponse(200);
        var notify = ExpectNotify();
        ExpectEvent<SubscribeSeen>();
        ExpectEvent<SubscribeAnswered>();
        ExpectEvent<NotifySent>();
        var dialog = DialogFor(ok.Response.CallId);
        Settle(dialog);
        return new Exchange(ok.Response.CallId, ok, notify, dialog, Clock.Now);
    }
}
