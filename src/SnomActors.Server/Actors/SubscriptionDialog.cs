using Akka.Actor;
using Akka.Event;
using SnomActors.Server.Config;
using SnomActors.Server.Messages;
using SnomActors.Server.Metrics;
using SnomActors.Sip.Building;
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
/// States of the NOTIFY transaction: Trying → (1xx) Proceeding → (final) Completed → (Timer K) done,
/// or Trying/Proceeding → (Timer F) done with a timeout. Independently, the SUBSCRIBE server
/// transaction stays Completed for Timer J, re-sending the identical 200 to retransmissions; if the
/// NOTIFY finishes first, the router takes over that duty (see <see cref="DialogMessages.Completed"/>)
/// so that a finished dialog costs a few bytes instead of an actor.
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
        PnpMetrics Metrics);

    private sealed record TimerE
    {
        public static readonly TimerE Instance = new();
    }

    private sealed record TimerF
    {
        public static readonly TimerF Instance = new();
    }

    private sealed record TimerJ
    {
        public static readonly TimerJ Instance = new();
    }

    private sealed record TimerK
    {
        public static readonly TimerK Instance = new();
    }

    private readonly Start _start;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly SipTimers _timers;
    private string _localTag = SipIdentifiers.NewTag();
    private string _notifyBranch = SipIdentifiers.NewBranch();
    private readonly string _transactionKey;
    private byte[] _ok = [];
    private byte[] _notify = [];
    private System.Net.IPEndPoint _okDestination = null!;
    private NotifierDialog _dialog = null!;
    private TimeSpan _timerE;
    private DateTimeOffset _timerJExpiresAt;
    private bool _timerJExpired;
    private UntypedReceive _phase;
    private readonly Dictionary<string, (object Message, DateTimeOffset Due)> _armed = new(StringComparer.Ordinal);
    private readonly Queue<object> _heldUntilHandoff = new();
    private bool _draining;

    public SubscriptionDialog(Start start)
    {
        _phase = OnReceive;
        _start = start;
        _timers = start.Options.Timers;
        _transactionKey = ServerTransactionKey.For(start.Subscribe);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private string? Mac => _start.Device.Mac;
    private string CallId => _start.Subscribe.CallId;
    private DateTimeOffset Now => Context.System.Scheduler.Now;

    protected override void PreStart()
    {
        var subscribe = _start.Subscribe;
        var origin = _start.Origin;
        var contact = $"sip:{FormatHost(origin.LocalAddress)}:{_start.Options.SipPort}";
        var events = Context.System.EventStream;
        events.Publish(new SubscribeSeen(CallId, _start.Device, origin.Source, origin.ViaMulticast, _start.ReceivedAt));

        // RFC 6665 §3.1.1 / protocol.md §1.1: 200 with our To-tag, Contact, Expires 0 (a one-time fetch).
        _ok = Build200(subscribe, origin, _localTag, contact, _start.Options);
        _okDestination = ResponseRouting.ResponseDestination(subscribe.TopVia, origin.Source);
        Send(_ok, _okDestination, SentDatagram.Response);
        _start.Metrics.ResponseSent(200);
        _start.Metrics.SubscribeToOk.Observe(Now - _start.ReceivedAt);
        events.Publish(new SubscribeAnswered(CallId, Mac, Now));

        // RFC 6665 §4.2.1.2: the NOTIFY follows the 2xx immediately, on the dialog the 200 created.
        _dialog = NotifierDialog.FromSubscribe(subscribe, origin.Source, _localTag, contact);
        if (_dialog.Target.DiffersFromSource && !_dialog.Target.Destination.Address.Equals(origin.Source.Address))
        {
            // A Contact naming another host would make us a reflector (RFC 6665 §6.3 amplification):
            // anyone could forge a SUBSCRIBE to aim up to 11 NOTIFYs at a third party. The Request-URI
            // stays the Contact (the dialog's remote target); the datagrams go to the host that asked.
            _log.Warning("Dialog {0}: Contact host {1} is not the source {2}; sending the NOTIFY to the source",
                CallId, _dialog.Target.Destination, origin.Source);
            _dialog = _dialog with { Target = _dialog.Target with { Destination = origin.Source, DiffersFromSource = false } };
        }
        var cseq = subscribe.CSeq.Number < int.MaxValue ? subscribe.CSeq.Number + 1 : 1u;
        var body = NotifyBuilder.UrlBody(_start.ProvisioningUrl, _start.Options.AppendCrLfToUrlBody);
        _notify = NotifyBuilder.Build(_dialog, cseq, $"{FormatHost(origin.LocalAddress)}:{_start.Options.SipPort}",
            _notifyBranch, NotifyBuilder.TerminatedTimeout, NotifyBuilder.ApplicationUrl, body, _start.Options.UserAgent);
        Send(_notify, _dialog.Target.Destination, SentDatagram.Notify);
        events.Publish(new NotifySent(CallId, Mac, _start.ProvisioningUrl, _dialog.Target.Destination, Now));
        if (_dialog.Target.DiffersFromSource)
            _log.Info("Dialog {0}: Contact port {1} differs from source {2}; NOTIFY goes to Contact", CallId, _dialog.Target.Destination, origin.Source);

        // RFC 3261 §17.1.2.2: Timer E = T1 for UDP, Timer F = 64·T1; §17.2.2: Timer J = 64·T1.
        _timerE = _timers.TimerEInitial;
        Arm(nameof(TimerE), TimerE.Instance, _timerE);
        Arm(nameof(TimerF), TimerF.Instance, _timers.TimerF);
        _timerJExpiresAt = Now + _timers.TimerJ;
        Arm(nameof(TimerJ), TimerJ.Instance, _timers.TimerJ);
        Enter(NotifyTrying);
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
                while (_heldUntilHandoff.TryDequeue(out var held)) _phase(held);
                break;
            case DialogMessages.Reattach:
                // The restarted router asks who we are before our state is back; that part never changes.
                Sender.Tell(new DialogMessages.Attached(CallId, Mac));
                break;
            default:
                _heldUntilHandoff.Enqueue(message);
                break;
        }
    }

    private void TakeOver(SubscriptionDialog old)
    {
        _localTag = old._localTag;
        _notifyBranch = old._notifyBranch;
        _ok = old._ok;
        _notify = old._notify;
        _okDestination = old._okDestination;
        _dialog = old._dialog;
        _timerE = old._timerE;
        _timerJExpiresAt = old._timerJExpiresAt;
        _timerJExpired = old._timerJExpired;
        _draining = old._draining;
        // The old timers died with the old instance: re-arm each for the time it had left.
        foreach (var (key, (timerMessage, due)) in old._armed)
            Arm(key, timerMessage, due > Now ? due - Now : TimeSpan.Zero);
        Enter((UntypedReceive)old._phase.Method.CreateDelegate(typeof(UntypedReceive), this));
    }

    private void Enter(UntypedReceive phase)
    {
        _phase = phase;
        Become(phase);
    }

    private void Arm(string key, object timerMessage, TimeSpan delay)
    {
        Timers.StartSingleTimer(key, timerMessage, delay);
        _armed[key] = (timerMessage, Now + delay);
    }

    private void Disarm(string key)
    {
        Timers.Cancel(key);
        _armed.Remove(key);
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
                Retransmit(proceeding: false);
                break;
            case TimerF:
                TimedOut();
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
                Retransmit(proceeding: true);
                break;
            case TimerF:
                TimedOut();
                break;
            case DialogMessages.Inbound { Message: SipResponse response } when IsOurNotifyResponse(response):
                OnNotifyResponse(response);
                break;
            default:
                Common(message);
                break;
        }
    }

    /// <summary>Final response received: RFC 3261 §17.1.2.2 — absorb retransmitted responses for Timer K.</summary>
    private void NotifyCompleted(object message)
    {
        switch (message)
        {
            case TimerK:
                Finish();
                break;
            case DialogMessages.Drain:
                Finish();
                break;
            case DialogMessages.Inbound { Message: SipResponse }:
                break; // retransmissions of the final response
            case TimerE or TimerF:
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
                break; // a response that is not for our NOTIFY transaction
            case TimerJ:
                _armed.Remove(nameof(TimerJ));
                _timerJExpired = true;
                break;
            case DialogMessages.Reattach:
                Sender.Tell(new DialogMessages.Attached(CallId, Mac));
                break;
            case DialogMessages.Drain:
                _draining = true;
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
        var metrics = _start.Metrics;
        if (request.Method == SipMethods.Subscribe && ServerTransactionKey.For(request) == _transactionKey)
        {
            // RFC 3261 §17.2.2: a retransmission in Completed gets the same final response — never a second NOTIFY.
            if (_timerJExpired) return;
            metrics.SubscribeRetransmitted();
            Send(_ok, _okDestination, SentDatagram.Response);
            metrics.ResponseSent(200);
            return;
        }
        switch (request.Method)
        {
            case SipMethods.Ack:
                return;
            case SipMethods.Cancel when request.TopVia.Branch == _start.Subscribe.TopVia.Branch:
                // RFC 6665 §4.6: answer the CANCEL; the SUBSCRIBE is not affected.
                SipReplies.Reply(_start.Transport, metrics, request, origin, 200);
                return;
            case SipMethods.Cancel:
                SipReplies.Reply(_start.Transport, metrics, request, origin, 481);
                return;
            case SipMethods.Options:
                SipReplies.AnswerOptions(_start.Transport, metrics, request, origin);
                return;
            case SipMethods.Subscribe when request.To.Tag is not null:
                // The subscription ended with our terminated NOTIFY (RFC 6665 §4.4.3): nothing to refresh.
                SipReplies.Reply(_start.Transport, metrics, request, origin, 481);
                return;
            case SipMethods.Subscribe:
                // Same Call-ID, new out-of-dialog transaction while we still run: RFC 3261 §8.2.2.2
                // merged request if From-tag and CSeq match (arrived twice by different paths), else ask to retry.
                if (request.From.Tag == _start.Subscribe.From.Tag && request.CSeq == _start.Subscribe.CSeq)
                    SipReplies.Reply(_start.Transport, metrics, request, origin, 482);
                else
                    SipReplies.Reply(_start.Transport, metrics, request, origin, 500, "Previous subscription still finishing",
                        [new SipHeader(HeaderNames.RetryAfter, "1")]);
                return;
            default:
                if (request.To.Tag is not null && request.To.Tag != _localTag)
                    SipReplies.Reply(_start.Transport, metrics, request, origin, 481);
                else
                    SipReplies.RejectMethod(_start.Transport, metrics, request, origin);
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
        Disarm(nameof(TimerE));
        Disarm(nameof(TimerF));
        var metrics = _start.Metrics;
        if (response.IsSuccess)
        {
            metrics.SubscribeToNotifyAck.Observe(Now - _start.ReceivedAt);
            metrics.NotifyOutcome("acknowledged");
            Context.System.EventStream.Publish(new NotifyAcknowledged(CallId, Mac, response.StatusCode, Now));
            if (_start.Metrics.OutcomeLogs.TryTake()) _log.Info("PnP {0} mac={1} vendor={2} model={3} source={4}: provisioned with {5}",
                CallId, Mac ?? "-", _start.Device.Vendor, _start.Device.Model ?? "-", _start.Origin.Source, Provisioning.ProvisioningUrlResolver.Redact(_start.ProvisioningUrl));
        }
        else
        {
            // RFC 6665 §4.2.2: 404, 405, 410, 416, 480-485, 489, 501, 604 end the subscription; we had only one NOTIFY anyway.
            metrics.NotifyOutcome($"rejected-{response.StatusCode}");
            var reason = $"phone rejected NOTIFY with {response.StatusCode} {response.ReasonPhrase}";
            Context.System.EventStream.Publish(new ProvisioningFailed(CallId, Mac, reason, response.StatusCode, Now));
            if (_start.Metrics.OutcomeLogs.TryTake()) _log.Warning("PnP {0} mac={1} vendor={2} model={3} source={4}: {5}",
                CallId, Mac ?? "-", _start.Device.Vendor, _start.Device.Model ?? "-", _start.Origin.Source, reason);
        }
        if (_draining)
        {
            // Shutting down: the phone has its answer; no need to wait out Timer K.
            Finish();
            return;
        }
        // RFC 3261 §17.1.2.2: Completed, Timer K = T4 for UDP.
        Arm(nameof(TimerK), TimerK.Instance, _timers.TimerK);
        Enter(NotifyCompleted);
    }

    private void Retransmit(bool proceeding)
    {
        Send(_notify, _dialog.Target.Destination, SentDatagram.Notify);
        _start.Metrics.NotifyRetransmitted();
        _timerE = _timers.NextTimerE(_timerE, proceeding);
        Arm(nameof(TimerE), TimerE.Instance, _timerE);
    }

    private void TimedOut()
    {
        // RFC 3261 §17.1.2.2: Timer F fired in Trying/Proceeding — the transaction is terminated.
        Disarm(nameof(TimerE));
        _start.Metrics.NotifyTimedOut();
        _start.Metrics.NotifyOutcome("timeout");
        const string reason = "phone never acknowledged NOTIFY (Timer F)";
        Context.System.EventStream.Publish(new ProvisioningFailed(CallId, Mac, reason, null, Now));
        if (_start.Metrics.OutcomeLogs.TryTake()) _log.Warning("PnP {0} mac={1} vendor={2} model={3} source={4}: {5}",
            CallId, Mac ?? "-", _start.Device.Vendor, _start.Device.Model ?? "-", _start.Origin.Source, reason);
        Finish();
    }

    private void Finish()
    {
        // Always tell the router we ended normally (it tells a crash by a Terminated without this);
        // it keeps the transaction for Timer J only if J has not yet expired.
        Context.Parent.Tell(new DialogMessages.Completed(CallId, _localTag, _transactionKey, _start.Origin.LocalAddress,
            _timerJExpired ? Now : _timerJExpiresAt));
        Context.Stop(Self);
    }

    private void Send(byte[] datagram, System.Net.IPEndPoint destination, SentDatagram kind)
    {
        _start.Transport.Tell(new SipTransport.Send(datagram, destination, _start.Origin.LocalAddress));
        _start.Metrics.DatagramSent(kind);
    }

    internal static string FormatHost(System.Net.IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}
