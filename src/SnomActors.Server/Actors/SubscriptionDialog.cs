using Akka.Actor;
using Akka.Event;
using SnomActors.Server.Config;
using SnomActors.Server.Messages;
using SnomActors.Server.Metrics;
using SnomActors.Sip.Building;
using SnomActors.Sip.Headers;
using SnomActors.Sip.Identity;
using SnomActors.Sip.Messages;
using SnomActors.Transport;

namespace SnomActors.Server.Actors;

/// <summary>
/// One phone's PnP exchange (protocol.md §1): answers the SUBSCRIBE with 200 (server transaction,
/// RFC 3261 §17.2.2) and runs the NOTIFY client transaction (§17.1.2) that carries the provisioning
/// URL. Created by the <see cref="DialogRouter"/> per Call-ID; stopped, never restarted, when done.
/// </summary>
/// <remarks>
/// States of the NOTIFY transaction (RFC 3261 §17.1.2.2, unreliable transport): Trying → (1xx)
/// Proceeding → (final response) Completed → (Timer K = T4) Terminated, or Trying/Proceeding →
/// (Timer F) Terminated. The exchange's outcome is reported at the final response — the router
/// counts the dialog as ended, the registry gets its event, the latency histograms their sample —
/// and the actor ends then: Completed (Timer K, absorbing copies of the response) and the SUBSCRIBE
/// server transaction's Completed (Timer J, re-sending the identical 200 to retransmissions) are
/// held by the router from the <see cref="DialogMessages.Completed"/> record, so a finished exchange
/// costs a few bytes instead of an actor, and a shutdown drain never waits for Timer K. Timer J is a
/// deadline compared on demand, not a scheduled message.
/// </remarks>
public sealed class SubscriptionDialog : UntypedActor, IWithTimers
{
    /// <summary>Everything a dialog needs to start; built by the router from the first SUBSCRIBE.</summary>
    public sealed record Start(
        SipRequest Subscribe,
        DatagramOrigin Origin,
        DateTimeOffset ReceivedAt,
        DeviceIdentity Device,
        string ProvisioningUrl,
        IActorRef Transport,
        PnpOptions Options,
        PnpMetrics Metrics)
    {
        /// <summary>The router's <see cref="NotifyPacer"/>; NOTIFYs go straight to <see cref="Transport"/> without one.</summary>
        public IActorRef NotifyPacer { get; init; } = ActorRefs.Nobody;
    }

    /// <summary>
    /// The dialog's one timer: Timer E, or Timer F when F's deadline comes before the next E (one
    /// scheduled timer per dialog instead of two: a storm holds tens of thousands of dialogs).
    /// </summary>
    private sealed record TimerE
    {
        public static readonly TimerE Instance = new();
    }

    /// <summary>The dialog's one timer key (E/F while the NOTIFY is in flight).</summary>
    private const string TimerKey = "NOTIFY";

    /// <summary>
    /// Creates dialogs with a plain constructor call: <c>Props.Create&lt;T&gt;(args)</c> finds the
    /// constructor by reflection for every phone, which showed up in boot-storm profiles.
    /// </summary>
    /// <remarks>
    /// It hands the <see cref="Start"/> over once: Props live as long as the actor, and the parsed
    /// SUBSCRIBE should not. A restarted incarnation is created empty and gets its state by
    /// <see cref="Handoff"/> from the previous one.
    /// </remarks>
    private sealed class Producer(Start start) : IIndirectActorProducer
    {
        private Start? _start = start;
        private readonly string _callId = start.Subscribe.CallId;
        private readonly DeviceIdentity _device = start.Device;

        public Type ActorType => typeof(SubscriptionDialog);

        public ActorBase Produce()
        {
            var first = _start;
            _start = null;
            return first is null ? new SubscriptionDialog(_callId, _device) : new SubscriptionDialog(first);
        }

        public void Release(ActorBase actor)
        {
        }
    }

    // The first SUBSCRIBE is needed only until PreStart has answered it; what the rest of the
    // dialog needs of it is copied into fields, so that a dialog waiting out Timer F for a silent
    // phone does not keep the parsed datagram alive.
    private Start? _start;
    private string _callId = "";
    private DeviceIdentity _device = null!;
    private DatagramOrigin _origin = null!;
    private DateTimeOffset _receivedAt;
    private string _provisioningUrl = "";
    private IActorRef _transport = ActorRefs.Nobody;
    private IActorRef _notifyPacer = ActorRefs.Nobody;
    private PnpOptions _options = null!;
    private PnpMetrics _metrics = null!;
    private SipTimers _timers = null!;
    private ILoggingAdapter? _log;
    private string _localTag = SipIdentifiers.NewTag();
    private string _notifyBranch = SipIdentifiers.NewBranch();
    private string _transactionKey = "";
    private string? _subscribeBranch;
    private string? _subscribeFromTag;
    private CSeqHeader _subscribeCSeq;
    private byte[] _ok = [];
    private byte[] _notify = [];
    private System.Net.IPEndPoint _okDestination = null!;
    private NotifierDialog _dialog = null!;
    private TimeSpan _timerE;
    private DateTimeOffset _timerJExpiresAt;
    private UntypedReceive _phase;
    private DateTimeOffset _timerFExpiresAt;
    private DateTimeOffset? _timerDueAt; // when the armed timer fires; null when none is armed
    private object _timerArmed = TimerE.Instance; // which timer that is (E/F or K)
    private Queue<object>? _heldUntilHandoff; // only a restarted incarnation needs it

    /// <summary>A restarted incarnation: it knows who it is and awaits the rest by <see cref="Handoff"/>.</summary>
    private SubscriptionDialog(string callId, DeviceIdentity device)
    {
        _phase = OnReceive;
        _callId = callId;
        _device = device;
    }

    /// <summary>A dialog for <paramref name="start"/>.</summary>
    public SubscriptionDialog(Start start)
    {
        _phase = OnReceive;
        _start = start;
        _callId = start.Subscribe.CallId;
        _device = start.Device;
        _origin = start.Origin;
        _receivedAt = start.ReceivedAt;
        _provisioningUrl = start.ProvisioningUrl;
        _transport = start.Transport;
        _notifyPacer = start.NotifyPacer;
        _options = start.Options;
        _metrics = start.Metrics;
        _timers = start.Options.Timers;
    }

    /// <summary>Props of the dialog for <paramref name="start"/>.</summary>
    public static Props Props(Start start) => Akka.Actor.Props.CreateBy(new Producer(start));

    public ITimerScheduler Timers { get; set; } = null!;

    private string? Mac => _device.Mac;
    private string CallId => _callId;
    private DateTimeOffset Now => Context.System.Scheduler.Now;
    private ILoggingAdapter Log => _log ??= Context.GetLogger();

    /// <summary>RFC 3261 §17.2.2: after Timer J the SUBSCRIBE server transaction is gone.</summary>
    private bool TimerJExpired => Now >= _timerJExpiresAt;

    protected override void PreStart()
    {
        if (_start is not { } start) return; // a restarted instance: its state comes by Handoff
        _start = null;
        var subscribe = start.Subscribe;
        _transactionKey = ServerTransactionKey.For(subscribe);
        _subscribeBranch = subscribe.TopVia.Branch;
        _subscribeFromTag = subscribe.From.Tag;
        _subscribeCSeq = subscribe.CSeq;
        var origin = _origin;
        var contact = $"sip:{FormatHost(origin.LocalAddress)}:{_options.SipPort}";
        var events = Context.System.EventStream;
        events.Publish(new SubscribeSeen(CallId, _device, origin.Source, origin.ViaMulticast, _receivedAt));

        // RFC 6665 §3.1.1 / protocol.md §1.1: 200 with our To-tag, Contact, Expires 0 (a one-time fetch).
        _ok = Build200(subscribe, origin, _localTag, contact, _options);
        _okDestination = ResponseRouting.ResponseDestination(subscribe.TopVia, origin.Source);
        Send(_ok, _okDestination, SentDatagram.Response);
        _metrics.ResponseSent(200);
        _metrics.SubscribeToOk.Observe(Now - _receivedAt);
        events.Publish(new SubscribeAnswered(CallId, Mac, Now));

        // RFC 6665 §4.2.1.2: the NOTIFY follows the 2xx immediately, on the dialog the 200 created.
        _dialog = NotifierDialog.FromSubscribe(subscribe, origin.Source, _localTag, contact);
        if (_dialog.Target.DiffersFromSource && !_dialog.Target.Destination.Address.Equals(origin.Source.Address))
        {
            // A Contact naming another host would make us a reflector (RFC 6665 §6.3 amplification):
            // anyone could forge a SUBSCRIBE to aim up to 11 NOTIFYs at a third party. The Request-URI
            // stays the Contact (the dialog's remote target); the datagrams go to the host that asked.
            Log.Warning("Dialog {0}: Contact host {1} is not the source {2}; sending the NOTIFY to the source",
                CallId, _dialog.Target.Destination, origin.Source);
            _dialog = _dialog with { Target = _dialog.Target with { Destination = origin.Source, DiffersFromSource = false } };
        }
        var cseq = subscribe.CSeq.Number < int.MaxValue ? subscribe.CSeq.Number + 1 : 1u;
        var body = NotifyBuilder.UrlBody(_provisioningUrl, _options.AppendCrLfToUrlBody);
        _notify = NotifyBuilder.Build(_dialog, cseq, $"{FormatHost(origin.LocalAddress)}:{_options.SipPort}",
            _notifyBranch, NotifyBuilder.TerminatedTimeout, NotifyBuilder.ApplicationUrl, body, _options.UserAgent);
        // RFC 3261 §17.1.2.2: Timer E = T1 for UDP, Timer F = 64·T1; §17.2.2: Timer J = 64·T1.
        // Armed before the NOTIFY leaves, as in Retransmit.
        _timerE = _timers.TimerEInitial;
        _timerFExpiresAt = Now + _timers.TimerF;
        ArmTimer(Now + _timerE);
        _timerJExpiresAt = Now + _timers.TimerJ;
        Enter(NotifyTrying);
        Send(_notify, _dialog.Target.Destination, SentDatagram.Notify);
        events.Publish(new NotifySent(CallId, Mac, _provisioningUrl, _dialog.Target.Destination, Now));
        if (_dialog.Target.DiffersFromSource)
            Log.Info("Dialog {0}: Contact port {1} differs from source {2}; NOTIFY goes to Contact", CallId, _dialog.Target.Destination, origin.Source);
    }

    /// <summary>
    /// Akka restarts the children a restarting parent keeps (the router keeps its dialogs across a
    /// fault): without this the fresh instance would run <see cref="PreStart"/> again — a second 200
    /// with another To-tag and a second NOTIFY. The old instance hands itself to the new one instead,
    /// through the mailbox; the router's own strategy stops a dialog that fails by itself, so this is
    /// the only restart a dialog ever sees.
    /// </summary>
    protected override void PreRestart(Exception reason, object message) => Self.Tell(new Handoff(this));

    protected override void PostRestart(Exception reason) => Become(AwaitingHandoff);

    /// <summary>The previous incarnation of this dialog (dead: nothing else touches it any more).</summary>
    private sealed record Handoff(SubscriptionDialog Previous);

    private void AwaitingHandoff(object message)
    {
        switch (message)
        {
            case Handoff { Previous: var old }:
                TakeOver(old);
                while (_heldUntilHandoff is not null && _heldUntilHandoff.TryDequeue(out var held)) _phase(held);
                break;
            case DialogMessages.Reattach:
                // The restarted router asks who we are before our state is back; that part never changes.
                Sender.Tell(new DialogMessages.Attached(CallId, Mac));
                break;
            default:
                (_heldUntilHandoff ??= new Queue<object>()).Enqueue(message);
                break;
        }
    }

    private void TakeOver(SubscriptionDialog old)
    {
        _callId = old._callId;
        _device = old._device;
        _origin = old._origin;
        _receivedAt = old._receivedAt;
        _provisioningUrl = old._provisioningUrl;
        _transport = old._transport;
        _notifyPacer = old._notifyPacer;
        _options = old._options;
        _metrics = old._metrics;
        _timers = old._timers;
        _localTag = old._localTag;
        _notifyBranch = old._notifyBranch;
        _transactionKey = old._transactionKey;
        _subscribeBranch = old._subscribeBranch;
        _subscribeFromTag = old._subscribeFromTag;
        _subscribeCSeq = old._subscribeCSeq;
        _ok = old._ok;
        _notify = old._notify;
        _okDestination = old._okDestination;
        _dialog = old._dialog;
        _timerE = old._timerE;
        _timerJExpiresAt = old._timerJExpiresAt;
        _timerFExpiresAt = old._timerFExpiresAt;
        // The old timer died with the old instance: re-arm it for the time it had left.
        if (old._timerDueAt is { } due) Arm(old._timerArmed, due);
        Enter((UntypedReceive)old._phase.Method.CreateDelegate(typeof(UntypedReceive), this));
    }

    private void Enter(UntypedReceive phase)
    {
        _phase = phase;
        Become(phase);
    }

    /// <summary>Arms the timer for <paramref name="timerEDue"/>, or for Timer F's deadline when that comes first.</summary>
    private void ArmTimer(DateTimeOffset timerEDue) =>
        Arm(TimerE.Instance, timerEDue < _timerFExpiresAt ? timerEDue : _timerFExpiresAt);

    /// <summary>(Re-)arms the dialog's one timer with <paramref name="timer"/>, replacing whatever was armed.</summary>
    private void Arm(object timer, DateTimeOffset due)
    {
        var now = Now;
        Timers.StartSingleTimer(TimerKey, timer, due > now ? due - now : TimeSpan.Zero);
        _timerDueAt = due;
        _timerArmed = timer;
    }

    private void DisarmTimer()
    {
        Timers.Cancel(TimerKey);
        _timerDueAt = null;
    }

    /// <summary>RFC 3261 §17.1.2.2: Timer F ends the transaction; otherwise it is Timer E.</summary>
    private void OnTimer(bool proceeding)
    {
        _timerDueAt = null;
        if (Now >= _timerFExpiresAt) TimedOut();
        else Retransmit(proceeding);
    }

    /// <summary>Builds the 200 for a SUBSCRIBE; a pure function so the router can rebuild it byte-identically.</summary>
    internal static byte[] Build200(SipRequest subscribe, DatagramOrigin origin, string localTag, string contact, PnpOptions options) =>
        SipResponseBuilder.Build(subscribe, origin.Source, 200, localTag, extraHeaders:
        [
            new SipHeader(HeaderNames.Contact, $"<{contact}>"),
            new SipHeader(HeaderNames.Expires, "0"),
            SipReplies.AllowEventsHeader,
            SipReplies.AllowHeader,
            new SipHeader(HeaderNames.Server, options.UserAgent),
        ]);

    protected override void OnReceive(object message) => Unhandled(message);

    /// <summary>NOTIFY sent, no response yet: retransmit on E doubling up to T2.</summary>
    private void NotifyTrying(object message)
    {
        switch (message)
        {
            case TimerE:
                OnTimer(proceeding: false);
                break;
            case DialogMessages.Inbound { Message: SipResponse response } when IsOurNotifyResponse(response):
                OnNotifyResponse(response);
                break;
            default:
                Common(message);
                break;
        }
    }

    /// <summary>A 1xx arrived: RFC 3261 §17.1.2.2 — keep retransmitting, now every T2.</summary>
    private void NotifyProceeding(object message)
    {
        switch (message)
        {
            case TimerE:
                OnTimer(proceeding: true);
                break;
            case DialogMessages.Inbound { Message: SipResponse response } when IsOurNotifyResponse(response):
                OnNotifyResponse(response);
                break;
            default:
                Common(message);
                break;
        }
    }

    private void Common(object message)
    {
        switch (message)
        {
            case DialogMessages.Inbound { Message: SipRequest request } inbound:
                OnRequest(request, inbound.Origin);
                break;
            case DialogMessages.Inbound:
                break; // a response no running transaction of ours waits for (strays, copies of the final one)
            case DialogMessages.Reattach:
                Sender.Tell(new DialogMessages.Attached(CallId, Mac));
                break;
            case DialogMessages.Drain:
                // Shutting down: the NOTIFY in flight still runs to its final response or Timer F.
                break;
            case DialogMessages.CrashForTest crash:
                throw new InvalidOperationException(crash.Reason);
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnRequest(SipRequest request, DatagramOrigin origin)
    {
        var metrics = _metrics;
        var transport = _transport;
        if (request.Method == SipMethods.Subscribe && ServerTransactionKey.For(request) == _transactionKey)
        {
            // RFC 3261 §17.2.2: a retransmission in Completed gets the same final response — never a second NOTIFY.
            if (TimerJExpired) return;
            metrics.SubscribeRetransmitted();
            Send(_ok, _okDestination, SentDatagram.Response);
            metrics.ResponseSent(200);
            return;
        }
        switch (request.Method)
        {
            case SipMethods.Ack:
                return;
            case SipMethods.Cancel when request.TopVia.Branch == _subscribeBranch:
                // RFC 6665 §4.6: answer the CANCEL; the SUBSCRIBE is not affected.
                SipReplies.Reply(transport, metrics, request, origin, 200);
                return;
            case SipMethods.Cancel:
                SipReplies.Reply(transport, metrics, request, origin, 481);
                return;
            case SipMethods.Options:
                SipReplies.AnswerOptions(transport, metrics, request, origin);
                return;
            case SipMethods.Subscribe when request.To.Tag is not null:
                // The subscription ended with our terminated NOTIFY (RFC 6665 §4.4.3): nothing to refresh.
                SipReplies.Reply(transport, metrics, request, origin, 481);
                return;
            case SipMethods.Subscribe:
                // Same Call-ID, new out-of-dialog transaction while we still run: RFC 3261 §8.2.2.2
                // merged request if From-tag and CSeq match (arrived twice by different paths), else ask to retry.
                if (request.From.Tag == _subscribeFromTag && request.CSeq == _subscribeCSeq)
                    SipReplies.Reply(transport, metrics, request, origin, 482);
                else
                    SipReplies.Reply(transport, metrics, request, origin, 500, "Previous subscription still finishing",
                        [new SipHeader(HeaderNames.RetryAfter, "1")]);
                return;
            default:
                if (request.To.Tag is not null && request.To.Tag != _localTag)
                    SipReplies.Reply(transport, metrics, request, origin, 481);
                else
                    SipReplies.RejectMethod(transport, metrics, request, origin);
                return;
        }
    }

    private bool IsOurNotifyResponse(SipResponse response) =>
        // RFC 3261 §17.1.3: top-Via branch and CSeq method identify the client transaction.
        response.CSeq.Method == SipMethods.Notify && response.TopVia.Branch == _notifyBranch;

    private void OnNotifyResponse(SipResponse response)
    {
        if (response.IsProvisional)
        {
            Enter(NotifyProceeding);
            return;
        }
        var metrics = _metrics;
        if (response.IsSuccess)
        {
            metrics.SubscribeToNotifyAck.Observe(Now - _receivedAt);
            metrics.NotifyOutcome("acknowledged");
            Context.System.EventStream.Publish(new NotifyAcknowledged(CallId, Mac, response.StatusCode, Now));
            if (metrics.OutcomeLogs.TryTake()) Log.Info("PnP {0} mac={1} vendor={2} model={3} source={4}: provisioned with {5}",
                CallId, Mac ?? "-", _device.Vendor, _device.Model ?? "-", _origin.Source, Provisioning.ProvisioningUrlResolver.Redact(_provisioningUrl));
        }
        else
        {
            // RFC 6665 §4.2.2: 404, 405, 410, 416, 480-485, 489, 501, 604 end the subscription; we had only one NOTIFY anyway.
            metrics.NotifyOutcome($"rejected-{response.StatusCode}");
            var reason = $"phone rejected NOTIFY with {response.StatusCode} {response.ReasonPhrase}";
            Context.System.EventStream.Publish(new ProvisioningFailed(CallId, Mac, reason, response.StatusCode, Now));
            if (metrics.OutcomeLogs.TryTake()) Log.Warning("PnP {0} mac={1} vendor={2} model={3} source={4}: {5}",
                CallId, Mac ?? "-", _device.Vendor, _device.Model ?? "-", _origin.Source, reason);
        }
        // RFC 3261 §17.1.2.2: a final response moves the transaction to Completed, where Timer K = T4
        // (unreliable transport) absorbs retransmitted responses. Absorbing needs no state of ours,
        // so the router holds Completed (an entry until Timer K) and this actor, the costly part of a
        // dialog in a storm, ends now instead of living T4 longer with a second timer.
        DisarmTimer();
        Report(notifyCompletedUntil: _timers.TimerK > TimeSpan.Zero ? Now + _timers.TimerK : null);
        Terminate();
    }

    private void Retransmit(bool proceeding)
    {
        // Armed before the send: whoever sees the datagram (a test moving a virtual clock) must find
        // the next Timer E already counting from now.
        _timerE = _timers.NextTimerE(_timerE, proceeding);
        ArmTimer(Now + _timerE);
        Send(_notify, _dialog.Target.Destination, SentDatagram.Notify);
        _metrics.NotifyRetransmitted();
    }

    private void TimedOut()
    {
        // RFC 3261 §17.1.2.2: Timer F fired in Trying/Proceeding — the transaction is terminated.
        DisarmTimer();
        _metrics.NotifyTimedOut();
        _metrics.NotifyOutcome("timeout");
        const string reason = "phone never acknowledged NOTIFY (Timer F)";
        Context.System.EventStream.Publish(new ProvisioningFailed(CallId, Mac, reason, null, Now));
        if (_metrics.OutcomeLogs.TryTake()) Log.Warning("PnP {0} mac={1} vendor={2} model={3} source={4}: {5}",
            CallId, Mac ?? "-", _device.Vendor, _device.Model ?? "-", _origin.Source, reason);
        // RFC 3261 §17.1.2.2: Timer F moves Trying/Proceeding straight to Terminated — no Timer K.
        Report(notifyCompletedUntil: null);
        Terminate();
    }

    /// <summary>
    /// Tells the router the exchange is over: it stops counting this dialog as live (cap, metrics,
    /// drain), keeps the SUBSCRIBE transaction for Timer J if J has not yet expired, and holds the
    /// NOTIFY transaction's Completed state until <paramref name="notifyCompletedUntil"/> (Timer K;
    /// null after Timer F, which terminates at once). Always sent, so that the router tells a crash
    /// (Terminated without this) from a normal end.
    /// </summary>
    private void Report(DateTimeOffset? notifyCompletedUntil) =>
        Context.Parent.Tell(new DialogMessages.Completed(CallId, _localTag, _transactionKey, _origin.LocalAddress,
            TimerJExpired ? Now : _timerJExpiresAt) { NotifyCompletedUntil = notifyCompletedUntil });

    private void Terminate()
    {
        // Not Context.Stop: until the router has read this it may still route a datagram here. The
        // router stops the dialog with a PoisonPill once it has taken over, and whatever it routed
        // before that is still handled in Done.
        Context.Parent.Tell(new DialogMessages.TransactionTerminated(CallId));
        Enter(Done);
    }

    /// <summary>
    /// Exchange over, waiting for the router's PoisonPill: retransmitted SUBSCRIBEs still get the 200,
    /// copies of the phone's response are dropped by <see cref="Common"/>, and the timer is disarmed.
    /// </summary>
    private void Done(object message)
    {
        if (message is DialogMessages.Reattach) Sender.Tell(new DialogMessages.TransactionTerminated(CallId));
        else Common(message);
    }

    private void Send(byte[] datagram, System.Net.IPEndPoint destination, SentDatagram kind)
    {
        var send = new SipTransport.Send(datagram, destination, _origin.LocalAddress);
        // NOTIFYs queue behind the pacer; responses never wait (issue 5: the 200 stays cheap and first).
        // The pacer counts what it hands on (it may coalesce or drop).
        if (kind == SentDatagram.Notify && !_notifyPacer.IsNobody())
        {
            _notifyPacer.Tell(new NotifyPacer.Enqueue(send, Self));
            return;
        }
        _transport.Tell(send);
        _metrics.DatagramSent(kind);
    }

    internal static string FormatHost(System.Net.IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}
