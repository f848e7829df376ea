using System.Net;
using Akka.Actor;
using Akka.Event;
using SnomActors.Server.Config;
using SnomActors.Server.Metrics;
using SnomActors.Server.Provisioning;
using SnomActors.Sip.Building;
using SnomActors.Sip.Identity;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Parsing;
using SnomActors.Transport;

namespace SnomActors.Server.Actors;

/// <summary>
/// Receives every datagram from the transport, parses it, and routes it by Call-ID to the
/// <see cref="SubscriptionDialog"/> of that phone — starting one for a new ua-profile SUBSCRIBE we
/// will provision, answering errors statelessly on the unicast path, and staying silent on the
/// multicast path for anything we will not provision (protocol.md §1.4). Like nksip's call router:
/// one child per Call-ID, a cap on live dialogs, children watched.
/// </summary>
public sealed class DialogRouter : UntypedActor, IWithTimers
{
    /// <summary>Asks for the number of live dialog actors; answered with <see cref="LiveDialogs"/>.</summary>
    public sealed record GetLiveDialogs
    {
        public static readonly GetLiveDialogs Instance = new();
    }

    /// <summary>
    /// Live dialogs (exchanges whose NOTIFY has no final response yet: what the cap and the drain
    /// count), the SUBSCRIBE transactions still remembered for Timer J, and the NOTIFY transactions
    /// still in Completed for Timer K (RFC 3261 §17.1.2.2), absorbing response copies: held by the
    /// router for dialogs, by the actor for check-syncs.
    /// </summary>
    public sealed record LiveDialogs(int Dialogs, int CompletedTransactions, int AwaitingTimerK = 0);

    /// <summary>Asks the router for the transport's bound endpoints; answered with the last <see cref="SipTransport.Bound"/> (or none yet).</summary>
    public sealed record GetBinding
    {
        public static readonly GetBinding Instance = new();
    }

    private sealed record SweepCompleted
    {
        public static readonly SweepCompleted Instance = new();
    }

    /// <summary>
    /// Sends a check-sync NOTIFY to a running phone (push re-provisioning); the router runs the client
    /// transaction as a child so that the phone's response finds it by Call-ID. The outcome
    /// (<see cref="CheckSyncTransaction.Outcome"/>) goes to <paramref name="ReplyTo"/>.
    /// </summary>
    public sealed record SendCheckSync(string? Mac, IPEndPoint Target, bool Reboot, IActorRef ReplyTo);

    /// <summary>
    /// Graceful shutdown (issue 5 item 5): stop accepting new dialogs (503 on unicast, silence on
    /// multicast), let the NOTIFY transactions in flight finish (at most Timer F), then answer
    /// <see cref="Drained"/>.
    /// </summary>
    public sealed record Drain
    {
        public static readonly Drain Instance = new();
    }

    /// <summary>Every dialog has ended after a <see cref="Drain"/>.</summary>
    public sealed record Drained
    {
        public static readonly Drained Instance = new();
    }

    /// <summary>Opens (or extends) the enrolment window: unknown phones are provisioned until it closes. Answered with <see cref="EnrolmentStatus"/>.</summary>
    public sealed record OpenEnrolment(TimeSpan Duration);

    /// <summary>Closes the enrolment window now. Answered with <see cref="EnrolmentStatus"/>.</summary>
    public sealed record CloseEnrolment
    {
        public static readonly CloseEnrolment Instance = new();
    }

    /// <summary>Answered with <see cref="EnrolmentStatus"/>.</summary>
    public sealed record GetEnrolment
    {
        public static readonly GetEnrolment Instance = new();
    }

    /// <summary>The admission mode and, in enrolment mode, until when unknown phones are accepted.</summary>
    public sealed record EnrolmentStatus(UnknownDevicePolicy Mode, bool Open, DateTimeOffset? Until);

    private sealed record ReplenishRateLimits
    {
        public static readonly ReplenishRateLimits Instance = new();
    }

    /// <summary>Ends the re-attach phase after a restart even if a dialog never answered.</summary>
    private sealed record ReattachTimeout
    {
        public static readonly ReattachTimeout Instance = new();
    }

    private sealed record DialogEntry(IActorRef Dialog, string? Mac);

    /// <summary>A finished dialog's SUBSCRIBE server transaction, still within Timer J.</summary>
    private sealed record CompletedTransaction(string LocalTag, string TransactionKey, IPAddress LocalAddress, DateTimeOffset ExpiresAt);

    private const string TransportName = "transport";
    private const string NotifyPacerName = "notify-pacer";

    private PnpOptions _options;
    private readonly ITransportFactory _transportFactory;
    private readonly PnpMetrics _metrics;
    private readonly ProvisioningUrlResolver _urls;
    private readonly Overload.NewTransactionLimiter _limiter;
    private readonly SipHeader[] _retryAfter;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, DialogEntry> _dialogs = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, string> _callIds = new();
    private readonly Dictionary<string, CompletedTransaction> _completed = new(StringComparer.Ordinal);
    // Dialogs whose exchange is over but whose NOTIFY transaction is still Completed (Timer K): they
    // get the responses for their Call-ID, nothing else, and count neither as live nor for the drain.
    private readonly Dictionary<string, IActorRef> _awaitingTimerK = new(StringComparer.Ordinal);
    private readonly Queue<(string CallId, DateTimeOffset ExpiresAt)> _completedExpiry = new();
    // NOTIFY transactions in Completed whose dialog has ended (Timer K held here): copies of their
    // final response are absorbed until the instant stored, then the entry goes at the next sweep.
    private readonly Dictionary<string, DateTimeOffset> _notifyCompleted = new(StringComparer.Ordinal);
    private readonly Queue<(string CallId, DateTimeOffset ExpiresAt)> _notifyCompletedExpiry = new();
    private readonly HashSet<IActorRef> _reattaching = [];
    private readonly HashSet<IActorRef> _watched = [];
    private readonly Queue<SipTransport.Received> _heldDuringReattach = new();
    private IActorRef _transport = ActorRefs.Nobody;
    private IActorRef _notifyPacer = ActorRefs.Nobody;
    private bool _notifyCongested;
    private SipTransport.Bound? _binding;
    private bool _draining;
    private DateTimeOffset _enrolmentUntil = DateTimeOffset.MinValue;
    private readonly List<IActorRef> _drainWaiters = [];

    public DialogRouter(PnpOptions options, ITransportFactory transportFactory, PnpMetrics metrics)
    {
        _options = options;
        _transportFactory = transportFactory;
        _metrics = metrics;
        _urls = new ProvisioningUrlResolver(options);
        _limiter = new Overload.NewTransactionLimiter(options.RateLimits);
        _retryAfter = [new SipHeader(HeaderNames.RetryAfter, options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))];
    }

    /// <summary>Props for the router; it creates its transport child through <paramref name="transportFactory"/>.</summary>
    public static Props Props(PnpOptions options, ITransportFactory transportFactory, PnpMetrics? metrics = null) =>
        Akka.Actor.Props.Create<DialogRouter>(options, transportFactory, metrics ?? new PnpMetrics());

    public ITimerScheduler Timers { get; set; } = null!;

    private DateTimeOffset Now => Context.System.Scheduler.Now;

    /// <summary>
    /// A dialog that throws is stopped alone — a dialog is never restarted with half its state
    /// (architecture.md). The transport child has its own back-off supervisor inside; if it ever
    /// stops, the router recreates it on Terminated.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new DialogSupervision(OnChildFailed);

    /// <summary>
    /// Stops a failing child and tells the router which one failed. Dialogs are not death-watched:
    /// a dialog that ends normally says so with <see cref="DialogMessages.Completed"/>, and one that
    /// fails is reported here, in the router's own context, while supervision handles it — which
    /// saves the Watch and Unwatch system messages for each of the thousands of dialogs of a storm.
    /// </summary>
    private sealed class DialogSupervision(Action<IActorRef> onFailed) : OneForOneStrategy(_ => Directive.Stop)
    {
        public override void ProcessFailure(IActorContext context, bool restart, IActorRef child, Exception cause,
            Akka.Actor.Internal.ChildRestartStats stats, IReadOnlyCollection<Akka.Actor.Internal.ChildRestartStats> children)
        {
            onFailed(child);
            base.ProcessFailure(context, restart, child, cause, stats, children);
        }
    }

    /// <summary>The transport and the pacer are watched: their Terminated recreates them.</summary>
    private void OnChildFailed(IActorRef child)
    {
        if (!child.Equals(_transport) && !child.Equals(_notifyPacer)) OnTerminated(child);
    }

    protected override void PreStart()
    {
        _transport = Context.Child(TransportName) is { } existing && !existing.IsNobody()
            ? existing
            : Context.ActorOf(_transportFactory.CreateProps(Self), TransportName);
        Context.Watch(_transport);
        if (_options.NotifyPacing.Enabled)
        {
            if (Context.Child(NotifyPacerName) is { } pacer && !pacer.IsNobody()) Context.Watch(_notifyPacer = pacer);
            else StartNotifyPacer(NotifyPacerName);
        }
        Timers.StartPeriodicTimer(nameof(SweepCompleted), SweepCompleted.Instance, TimeSpan.FromSeconds(1));
        if (_options.InitialEnrolmentWindow > TimeSpan.Zero && _enrolmentUntil == DateTimeOffset.MinValue)
            _enrolmentUntil = Now + _options.InitialEnrolmentWindow;
        Timers.StartPeriodicTimer(nameof(ReplenishRateLimits), ReplenishRateLimits.Instance, Overload.NewTransactionLimiter.Tick);
    }

    protected override void PostStop() => _limiter.Dispose();

    /// <summary>
    /// Keep the children across a restart: the dialogs in flight and the transport survive a
    /// router fault; <see cref="PostRestart"/> re-learns their Call-IDs.
    /// </summary>
    protected override void PreRestart(Exception reason, object message) => PostStop();

    protected override void PostRestart(Exception reason)
    {
        PreStart();
        foreach (var child in Context.GetChildren())
        {
            if (child.Equals(_transport) || child.Equals(_notifyPacer)) continue;
            Context.Watch(child);
            _watched.Add(child);
            child.Tell(DialogMessages.Reattach.Instance);
            _reattaching.Add(child);
        }
        if (_reattaching.Count == 0) return;
        // Until every surviving dialog has said which Call-ID it serves, a datagram for it would look
        // like a new SUBSCRIBE (a second dialog, a second NOTIFY) or a stray response: hold datagrams
        // back, in order, and route them once the table is complete.
        Timers.StartSingleTimer(nameof(ReattachTimeout), ReattachTimeout.Instance, TimeSpan.FromSeconds(1));
        Become(Reattaching);
    }

    private void Reattaching(object message)
    {
        switch (message)
        {
            case SipTransport.Received received:
                _heldDuringReattach.Enqueue(received);
                break;
            case DialogMessages.Attached or DialogMessages.Completed or DialogMessages.TransactionTerminated:
                var child = Sender;
                OnReceive(message);
                Reattached(child);
                break;
            case Terminated terminated:
                OnReceive(message);
                Reattached(terminated.ActorRef);
                break;
            case ReattachTimeout:
                _log.Warning("{0} dialog(s) did not re-attach after the router restarted; routing resumes without them", _reattaching.Count);
                _reattaching.Clear();
                EndReattach();
                break;
            default:
                OnReceive(message);
                break;
        }
    }

    private void Reattached(IActorRef child)
    {
        if (_reattaching.Remove(child) && _reattaching.Count == 0) EndReattach();
    }

    private void EndReattach()
    {
        Timers.Cancel(nameof(ReattachTimeout));
        Become(OnReceive);
        while (_heldDuringReattach.TryDequeue(out var held)) OnDatagram(held);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SipTransport.Received received:
                OnDatagram(received);
                break;
            case DialogMessages.Completed completed:
                OnDialogCompleted(completed);
                break;
            case DialogMessages.TransactionTerminated terminated:
                OnTransactionTerminated(terminated);
                break;
            case Terminated terminated:
                OnTerminated(terminated.ActorRef);
                break;
            case NotifyPacer.Congested congested:
                if (congested.IsCongested != _notifyCongested)
                    _log.Warning(congested.IsCongested
                        ? "NOTIFY queue full: new SUBSCRIBEs are refused until it drains"
                        : "NOTIFY queue drained: accepting new SUBSCRIBEs again");
                _notifyCongested = congested.IsCongested;
                break;
            case DialogMessages.Attached attached:
                _dialogs[attached.CallId] = new DialogEntry(Sender, attached.Mac);
                _callIds[Sender] = attached.CallId;
                break;
            case SweepCompleted:
                Sweep();
                var suppressed = _metrics.OutcomeLogs.Refill();
                if (suppressed > 0) _log.Info("{0} dialog outcomes in the last second not logged one by one (see /metrics); live dialogs {1}", suppressed, _dialogs.Count);
                break;
            case ReplenishRateLimits:
                _limiter.Replenish();
                break;
            case SipTransport.Bound bound:
                _binding = bound;
                // With port 0 (tests) the real port is known only now; our Via and Contact must carry it.
                if (bound.LocalEndpoints.Count > 0 && bound.LocalEndpoints[0].Port != _options.SipPort)
                    _options = _options with { SipPort = bound.LocalEndpoints[0].Port };
                _log.Info("SIP transport bound on {0}; multicast on [{1}]",
                    string.Join(", ", bound.LocalEndpoints), string.Join(", ", bound.MulticastInterfaces));
                Context.System.EventStream.Publish(bound);
                break;
            case GetBinding:
                Sender.Tell((object?)_binding ?? new Status.Failure(new InvalidOperationException("transport not bound yet")));
                break;
            case GetLiveDialogs:
                Sender.Tell(new LiveDialogs(_dialogs.Count, _completed.Count, _awaitingTimerK.Count + _notifyCompleted.Count));
                break;
            case SendCheckSync checkSync:
                if (!_draining) StartCheckSync(checkSync);
                break;
            case Drain:
                OnDrain();
                break;
            case OpenEnrolment open:
                _enrolmentUntil = Now + open.Duration;
                _log.Info("Enrolment open until {0}: unknown phones are provisioned", _enrolmentUntil);
                Sender.Tell(Enrolment());
                break;
            case CloseEnrolment:
                _enrolmentUntil = DateTimeOffset.MinValue;
                Sender.Tell(Enrolment());
                break;
            case GetEnrolment:
                Sender.Tell(Enrolment());
                break;
            case SipTransport.Send send:
                // Lets other parts of the daemon (check-sync resync) send through our socket.
                _transport.Forward(send);
                break;
            case DialogMessages.CrashForTest crash:
                throw new InvalidOperationException(crash.Reason);
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnDatagram(SipTransport.Received received)
    {
        var origin = received.Origin;
        var receivedAt = Now;
        if (!SipParser.TryParse(received.Data, out var message, out var error, _options.ParserLimits))
        {
            _metrics.DatagramReceived(ReceivedDatagram.Malformed);
            if (origin.ViaMulticast || error!.Kind == SipParseErrorKind.Empty) return;
            // RFC 3261 §8.2 / §21: 400 naming the fault (505, 513 where they apply); dropped when no usable
            // Via. A datagram over the size or line limit still yields its start line and Via/From/To/
            // Call-ID/CSeq from a bounded scan (SipParser), so it gets its 513 / 400 too.
            var reply = SipResponseBuilder.BuildForParseError(error, origin.Source, SipIdentifiers.NewTag());
            var destination = SipResponseBuilder.DestinationForParseError(error, origin.Source);
            if (reply is null || destination is null) return;
            _transport.Tell(new SipTransport.Send(reply, destination, origin.LocalAddress));
            _metrics.ResponseSent(error.StatusCode);
            _metrics.DatagramSent(SentDatagram.Response);
            return;
        }

        if (message is SipResponse response)
        {
            _metrics.DatagramReceived(ReceivedDatagram.Response);
            // RFC 3261 §17.1.3: responses go to their client transaction; strays are discarded.
            if (_dialogs.TryGetValue(response.CallId, out var owner))
                owner.Dialog.Tell(new DialogMessages.Inbound(response, origin, receivedAt));
            else if (_awaitingTimerK.TryGetValue(response.CallId, out var completing))
                completing.Tell(new DialogMessages.Inbound(response, origin, receivedAt));
            // else: a copy absorbed in Completed (Timer K, _notifyCompleted) or a stray — discarded alike.
            return;
        }

        var request = (SipRequest)message!;
        _metrics.DatagramReceived(SipDatagramKinds.OfRequest(request.Method));
        if (_dialogs.TryGetValue(request.CallId, out var entry))
        {
            entry.Dialog.Tell(new DialogMessages.Inbound(request, origin, receivedAt));
            return;
        }
        if (_completed.TryGetValue(request.CallId, out var done))
        {
            OnRequestForCompletedDialog(request, origin, done, receivedAt);
            return;
        }
        OnNewRequest(request, origin, receivedAt);
    }

    private void OnRequestForCompletedDialog(SipRequest request, DatagramOrigin origin, CompletedTransaction done, DateTimeOffset receivedAt)
    {
        if (request.Method == SipMethods.Subscribe && ServerTransactionKey.For(request) == done.TransactionKey)
        {
            // Timer J still running for this transaction: the identical 200 again (RFC 3261 §17.2.2).
            var okOrigin = origin with { LocalAddress = done.LocalAddress };
            var contact = $"sip:{SubscriptionDialog.FormatHost(done.LocalAddress)}:{_options.SipPort}";
            var ok = SubscriptionDialog.Build200(request, okOrigin, done.LocalTag, contact, _options);
            _transport.Tell(new SipTransport.Send(ok, ResponseRouting.ResponseDestination(request.TopVia, origin.Source), done.LocalAddress));
            _metrics.SubscribeRetransmitted();
            _metrics.ResponseSent(200);
            _metrics.DatagramSent(SentDatagram.Response);
            return;
        }
        if (request.Method == SipMethods.Ack) return;
        if (request.To.Tag is not null)
        {
            // The dialog is over (our NOTIFY said terminated): in-dialog requests find nothing.
            SipReplies.Reply(_transport, _metrics, request, origin, 481);
            return;
        }
        if (request.Method == SipMethods.Cancel)
        {
            // RFC 3261 §9.2: the SUBSCRIBE transaction still exists (Timer J) and was answered, so the
            // CANCEL changes nothing and gets 200. Matched on the Call-ID alone: the branch is not kept here.
            SipReplies.Reply(_transport, _metrics, request, origin, 200);
            return;
        }
        // Out of dialog and merely reusing the Call-ID — an OPTIONS, or a new SUBSCRIBE transaction such
        // as the retry the dialog asked for with "500, Retry-After: 1": a new request like any other.
        OnNewRequest(request, origin, receivedAt);
    }

    private void OnNewRequest(SipRequest request, DatagramOrigin origin, DateTimeOffset receivedAt)
    {
        if (request.Method == SipMethods.Ack) return; // never answered
        if (!_limiter.TryAdmit(origin.Source.Address, out var shedReason))
        {
            // Beyond the token buckets.
            Shed(request, origin, shedReason);
            return;
        }
        // RFC 3261 §8.2.1: inspect the method first — 405 for one we know but do not serve, 501 otherwise.
        if (request.Method is not (SipMethods.Subscribe or SipMethods.Options or SipMethods.Cancel)
            && !(request.Method == SipMethods.Notify && request.To.Tag is not null))
        {
            SipReplies.RejectMethod(_transport, _metrics, request, origin);
            return;
        }
        if (request.Method == SipMethods.Cancel)
        {
            // RFC 3261 §9.2: a CANCEL that matches no transaction we hold.
            SipReplies.Reply(_transport, _metrics, request, origin, 481);
            return;
        }
        if (request.Method == SipMethods.Subscribe)
        {
            OnNewSubscribe(request, origin, receivedAt);
            return;
        }
        // §8.2.2.1 / §8.2.2.3 for OPTIONS and in-dialog NOTIFY; SUBSCRIBE does the same in its own order.
        if (!request.RequestUri.IsSip)
        {
            SipReplies.Reply(_transport, _metrics, request, origin, 416);
            return;
        }
        var required = request.GetList(HeaderNames.Require);
        if (required.Count > 0)
        {
            SipReplies.Reply(_transport, _metrics, request, origin, 420,
                extraHeaders: [new SipHeader(HeaderNames.Unsupported, string.Join(", ", required))]);
            return;
        }
        if (request.To.Tag is not null)
        {
            // RFC 3261 §12.2.2: a mid-dialog request for a dialog we do not have.
            SipReplies.Reply(_transport, _metrics, request, origin, 481);
            return;
        }
        SipReplies.AnswerOptions(_transport, _metrics, request, origin);
    }

    private void OnNewSubscribe(SipRequest request, DatagramOrigin origin, DateTimeOffset receivedAt)
    {
        // Overload first, before any per-request work (identity, validation, admission): shedding must
        // stay cheap while it is all the router does. Draining sheds too (issue 5 item 5).
        if (_draining)
        {
            Shed(request, origin, "shutting-down", "Shutting down");
            return;
        }
        if (_dialogs.Count >= _options.MaxLiveDialogs)
        {
            Shed(request, origin, "dialog-cap");
            return;
        }
        if (_notifyCongested)
        {
            Shed(request, origin, "notify-queue");
            return;
        }
        // RFC 3261 §8.2 order: method → headers (URI scheme, Require) → content → method-specific.
        var device = DeviceIdentityExtractor.Extract(request);
        if (!request.RequestUri.IsSip)
        {
            Reject(request, origin, device, 416);
            return;
        }
        var required = request.GetList(HeaderNames.Require);
        if (required.Count > 0)
        {
            // We support no extensions (RFC 3261 §8.2.2.3).
            Reject(request, origin, device, 420, extra: [new SipHeader(HeaderNames.Unsupported, string.Join(", ", required))]);
            return;
        }
        if (request.To.Tag is not null)
        {
            // A refresh of a subscription we do not hold (RFC 6665 §4.1.2.2: 481).
            Reject(request, origin, device, 481);
            return;
        }
        if (request.Event is not { Package: "ua-profile" })
        {
            // RFC 6665 §4.2.1.1 + RFC 3265 table: 489 carries Allow-Events.
            Reject(request, origin, device, 489, extra: [SipReplies.AllowEventsHeader]);
            return;
        }
        var profileType = device.ProfileType;
        if (!profileType.Equals("device", StringComparison.OrdinalIgnoreCase) && !profileType.Equals("application", StringComparison.OrdinalIgnoreCase))
        {
            // RFC 6080 §6.6: a profile type we do not offer.
            Reject(request, origin, device, 404, reason: $"Profile type {profileType} not offered");
            return;
        }
        var accept = request.GetList(HeaderNames.Accept);
        if (accept.Count > 0 && !accept.Any(AcceptsUrl))
        {
            // RFC 6665 §3.2.1: the NOTIFY body must be of a type the subscriber accepts.
            Reject(request, origin, device, 406);
            return;
        }
        if (device.Mac is null && !_options.ProvisionDevicesWithoutMac)
        {
            Reject(request, origin, device, 404, reason: "No device identity in request");
            return;
        }
        if (origin is { ViaMulticast: true, SourceOnLink: false } && _options.RequireOnLinkMulticastSource)
        {
            // protocol.md §1.4: an off-link sender on the group is not one of our phones.
            _metrics.SubscribeOutcome(device.Vendor, "off-link");
            return;
        }
        switch (Admit(device))
        {
            case AdmissionVerdict.Denied:
                Reject(request, origin, device, 403, reason: "Device not allowed");
                return;
            case AdmissionVerdict.Quarantined:
                Context.System.EventStream.Publish(new Messages.DeviceQuarantined(request.CallId, device, origin.Source, Now));
                Reject(request, origin, device, 403, reason: "Device awaiting approval");
                return;
        }
        var url = _urls.Resolve(device, origin.Source.Address, origin.LocalAddress);
        var start = new SubscriptionDialog.Start(request, origin, receivedAt, device, url, _transport, _options, _metrics) { NotifyPacer = _notifyPacer };
        var dialog = Context.ActorOf(SubscriptionDialog.Props(start));
        _dialogs[request.CallId] = new DialogEntry(dialog, device.Mac);
        _callIds[dialog] = request.CallId;
        _metrics.DialogStarted();
        _metrics.SubscribeOutcome(device.Vendor, "accepted");
    }

    /// <summary>
    /// Refuses a new transaction under overload: 503 with Retry-After on unicast, silence on multicast
    /// (<see cref="SipReplies.Reply"/>); always counted, by reason and, for a SUBSCRIBE, by vendor
    /// (the vendor alone: no full identity extraction on this path).
    /// </summary>
    private void Shed(SipRequest request, DatagramOrigin origin, string reason, string? reasonPhrase = null)
    {
        _metrics.ShedRequest(reason);
        if (request.Method == SipMethods.Subscribe) _metrics.SubscribeOutcome(DeviceIdentityExtractor.VendorOf(request), "shed");
        SipReplies.Reply(_transport, _metrics, request, origin, 503, reasonPhrase, _retryAfter);
    }

    private static bool AcceptsUrl(string mediaRange)
    {
        var type = mediaRange.Split(';', 2)[0].Trim();
        return type.Equals("application/url", StringComparison.OrdinalIgnoreCase)
            || type.Equals("application/*", StringComparison.OrdinalIgnoreCase)
            || type.Equals("*/*", StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 5 item 3: deny lists first, then the operator's decision from the registry, then the
    /// policy for phones never seen (provision all, allow list, or enrolment window / quarantine).
    /// </summary>
    private AdmissionVerdict Admit(DeviceIdentity device)
    {
        var mac = device.Mac;
        if (mac is not null && (_options.DeniedMacs.Contains(mac) || _options.DeniedOuis.Contains(mac[..6]))) return AdmissionVerdict.Denied;
        var allowListed = mac is not null && (_options.AllowedMacs.Contains(mac) || _options.AllowedOuis.Contains(mac[..6]));
        var decided = mac is null ? AdmissionVerdict.Unknown : _options.DeviceAdmission.Check(mac);
        if (decided is AdmissionVerdict.Denied) return AdmissionVerdict.Denied;
        if (decided is AdmissionVerdict.Allowed || allowListed) return AdmissionVerdict.Allowed;
        if (decided is AdmissionVerdict.Quarantined) return AdmissionVerdict.Quarantined;
        return _options.UnknownDevices switch
        {
            UnknownDevicePolicy.ProvisionAll => AdmissionVerdict.Allowed,
            UnknownDevicePolicy.AllowListOnly => AdmissionVerdict.Denied,
            _ => Now < _enrolmentUntil ? AdmissionVerdict.Allowed : mac is null ? AdmissionVerdict.Denied : AdmissionVerdict.Quarantined,
        };
    }

    private EnrolmentStatus Enrolment() =>
        new(_options.UnknownDevices, _options.UnknownDevices == UnknownDevicePolicy.Enrolment && Now < _enrolmentUntil,
            _enrolmentUntil == DateTimeOffset.MinValue ? null : _enrolmentUntil);

    private void Reject(SipRequest request, DatagramOrigin origin, DeviceIdentity device, int status,
        string? reason = null, IReadOnlyList<SipHeader>? extra = null)
    {
        // protocol.md §1.4: on the multicast path, silence — another server on the LAN may want this phone.
        _metrics.SubscribeOutcome(device.Vendor, origin.ViaMulticast ? "silenced" : $"rejected-{status}");
        if (origin.ViaMulticast)
        {
            _log.Debug("Ignoring multicast SUBSCRIBE {0} from {1} (would be {2})", request.CallId, origin.Source, status);
            return;
        }
        SipReplies.Reply(_transport, _metrics, request, origin, status, reason, extra);
    }

    /// <summary>
    /// The exchange is over: the dialog stops counting as live (cap, live-dialog gauge, drain) now,
    /// even if its actor still waits out Timer K, so that a shutdown never waits the extra T4.
    /// </summary>
    private void OnDialogCompleted(DialogMessages.Completed completed)
    {
        if (_dialogs.TryGetValue(completed.CallId, out var entry) && entry.Dialog.Equals(Sender))
        {
            _dialogs.Remove(completed.CallId);
            _metrics.DialogEnded(crashed: false);
        }
        if (completed.AwaitingTimerK)
        {
            _awaitingTimerK[completed.CallId] = Sender;
            _callIds[Sender] = completed.CallId; // re-learnt after a restart, so that a crash still cleans up
        }
        if (completed.NotifyCompletedUntil is { } until && until > Now)
        {
            _notifyCompleted[completed.CallId] = until;
            _notifyCompletedExpiry.Enqueue((completed.CallId, until));
        }
        CheckDrained();
        if (completed.TimerJExpiresAt <= Now) return;
        _completed[completed.CallId] = new CompletedTransaction(completed.LocalTag, completed.TransactionKey, completed.LocalAddress, completed.TimerJExpiresAt);
        _completedExpiry.Enqueue((completed.CallId, completed.TimerJExpiresAt));
    }

    /// <summary>The dialog's NOTIFY transaction is Terminated: forget it and stop it.</summary>
    private void OnTransactionTerminated(DialogMessages.TransactionTerminated terminated)
    {
        if (_awaitingTimerK.TryGetValue(terminated.CallId, out var completing) && completing.Equals(Sender))
            _awaitingTimerK.Remove(terminated.CallId);
        if (_dialogs.TryGetValue(terminated.CallId, out var entry) && entry.Dialog.Equals(Sender))
        {
            // Completed was lost (a router restart in between): the exchange ended all the same.
            _dialogs.Remove(terminated.CallId);
            _metrics.DialogEnded(crashed: false);
        }
        // Only check-sync transactions and dialogs re-attached after a restart are watched.
        if (_callIds.Remove(Sender) && _watched.Remove(Sender)) Context.Unwatch(Sender);
        // The dialog waits for this: whatever was routed to it before now is already in its mailbox.
        Sender.Tell(PoisonPill.Instance);
        CheckDrained();
    }

    private void OnTerminated(IActorRef actor)
    {
        if (actor.Equals(_transport))
        {
            _log.Warning("SIP transport stopped; recreating it");
            _transport = Context.ActorOf(_transportFactory.CreateProps(Self), TransportName + "-" + Guid.NewGuid().ToString("N")[..8]);
            Context.Watch(_transport);
            _notifyPacer.Tell(new NotifyPacer.UseTransport(_transport));
            return;
        }
        if (actor.Equals(_notifyPacer))
        {
            _log.Warning("NOTIFY pacer stopped; recreating it (NOTIFYs it held are sent again by Timer E)");
            _notifyCongested = false;
            StartNotifyPacer(NotifyPacerName + "-" + Guid.NewGuid().ToString("N")[..8]);
            return;
        }
        _watched.Remove(actor);
        if (!_callIds.Remove(actor, out var callId)) return;
        if (_awaitingTimerK.TryGetValue(callId, out var completing) && completing.Equals(actor)) _awaitingTimerK.Remove(callId);
        if (_dialogs.TryGetValue(callId, out var entry) && entry.Dialog.Equals(actor))
        {
            // Terminated without Completed: the dialog failed and was stopped by supervision.
            _dialogs.Remove(callId);
            _metrics.DialogEnded(crashed: true);
            Context.System.EventStream.Publish(new Messages.ProvisioningFailed(callId, entry.Mac, "dialog failed", null, Now));
        }
        CheckDrained();
    }

    private void StartNotifyPacer(string name)
    {
        _notifyPacer = Context.ActorOf(NotifyPacer.Props(_options.NotifyPacing, _transport, _metrics), name);
        Context.Watch(_notifyPacer);
    }

    private void OnDrain()
    {
        if (!_draining) _log.Info("Draining: no new dialogs; waiting for {0} in flight", _dialogs.Count);
        _draining = true;
        _drainWaiters.Add(Sender);
        foreach (var entry in _dialogs.Values) entry.Dialog.Tell(DialogMessages.Drain.Instance);
        CheckDrained();
    }

    private void CheckDrained()
    {
        if (!_draining || _dialogs.Count > 0 || _drainWaiters.Count == 0) return;
        foreach (var waiter in _drainWaiters) waiter.Tell(Drained.Instance);
        _drainWaiters.Clear();
    }

    private void StartCheckSync(SendCheckSync request)
    {
        var callId = SipIdentifiers.NewCallId("snomactors");
        var local = LocalAddressFor(request.Target);
        var start = new CheckSyncTransaction.Start(request.Mac, request.Target, local, _options.SipPort, request.Reboot,
            _transport, request.ReplyTo, callId, _options.Timers, _metrics);
        var transaction = Context.ActorOf(Akka.Actor.Props.Create<CheckSyncTransaction>(start));
        Context.Watch(transaction);
        _watched.Add(transaction);
        _dialogs[callId] = new DialogEntry(transaction, request.Mac);
        _callIds[transaction] = callId;
        _metrics.DialogStarted();
    }

    /// <summary>
    /// Our address as the phone sees it: the bound address, or when bound to all addresses the
    /// source the kernel would pick for that destination (a connected UDP socket sends nothing).
    /// </summary>
    private IPAddress LocalAddressFor(IPEndPoint target)
    {
        var bound = _binding?.LocalEndpoints.FirstOrDefault()?.Address;
        if (bound is not null && !bound.Equals(IPAddress.Any)) return bound;
        try
        {
            using var probe = new System.Net.Sockets.Socket(target.AddressFamily, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
            probe.Connect(target);
            return ((IPEndPoint)probe.LocalEndPoint!).Address;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return IPAddress.Loopback;
        }
    }

    private void Sweep()
    {
        var now = Now;
        while (_completedExpiry.Count > 0 && _completedExpiry.Peek().ExpiresAt <= now)
        {
            var (callId, expiresAt) = _completedExpiry.Dequeue();
            if (_completed.TryGetValue(callId, out var entry) && entry.ExpiresAt == expiresAt) _completed.Remove(callId);
        }
        // RFC 3261 §17.1.2.2: Timer K fired — the NOTIFY transaction is Terminated.
        while (_notifyCompletedExpiry.Count > 0 && _notifyCompletedExpiry.Peek().ExpiresAt <= now)
        {
            var (callId, expiresAt) = _notifyCompletedExpiry.Dequeue();
            if (_notifyCompleted.TryGetValue(callId, out var until) && until == expiresAt) _notifyCompleted.Remove(callId);
        }
    }
}
