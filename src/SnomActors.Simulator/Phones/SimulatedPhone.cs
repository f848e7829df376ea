using System.Net;
using System.Text;
using Akka.Actor;
using SnomActors.Simulator.Fetching;
using SnomActors.Sip.Building;
using SnomActors.Sip.Messages;
using SnomActors.Transport;

namespace SnomActors.Simulator.Phones;

/// <summary>
/// One simulated phone booting into PnP: sends its vendor's SUBSCRIBE, runs the non-INVITE client
/// transaction (Timer E retransmissions until a final response, its patience, or its transmission
/// limit), accepts the NOTIFY before or after the 200, answers every copy of it with the same 200,
/// downloads the URL, and reports a <see cref="PhoneResult"/> with the time of each step.
/// </summary>
/// <remarks>
/// Phases (<c>Become</c>): Idle → Subscribing (no answer yet) → AwaitingNotify (200 seen, Timer N) →
/// Downloading → Finished (lingers answering NOTIFY retransmissions, then stops). The SUBSCRIBE
/// client transaction runs alongside the phases: a NOTIFY may overtake the 200 (RFC 6665 §4.1.2.4)
/// and the transaction keeps retransmitting until its own final response.
/// </remarks>
public sealed class SimulatedPhone : UntypedActor, IWithTimers
{
    /// <summary>Power on: send the first SUBSCRIBE.</summary>
    public sealed record Boot
    {
        /// <summary>The single instance.</summary>
        public static readonly Boot Instance = new();

        private Boot()
        {
        }
    }

    /// <summary>A parsed datagram for this phone (demultiplexed by Call-ID).</summary>
    public sealed record Inbound(SipMessage Message, DatagramOrigin Origin);

    private sealed record TimerE
    {
        public static readonly TimerE Instance = new();
    }

    /// <summary>The phone's patience (Timer F for RFC-grade firmware, 5 s for Panasonic).</summary>
    private sealed record TimerF
    {
        public static readonly TimerF Instance = new();
    }

    /// <summary>RFC 6665 §4.1.2.4 Timer N: how long to wait for the NOTIFY after the 200.</summary>
    private sealed record TimerN
    {
        public static readonly TimerN Instance = new();
    }

    private sealed record LingerOver
    {
        public static readonly LingerOver Instance = new();
    }

    private sealed record DownloadDone(FetchResult Result);

    private readonly PhoneIdentity _phone;
    private readonly IPEndPoint _local;
    private readonly IActorRef _transport;
    private readonly IActorRef _reporter;
    private readonly PhoneOptions _options;
    private readonly string _callId;
    private readonly Random? _lossRandom;
    private readonly CancellationTokenSource _stopping = new();

    private byte[] _subscribe = [];
    private int _transmissions;
    private TimeSpan _interval;
    private bool _transactionDone;
    private bool _proceeding;
    private uint? _lastNotifyCSeq;
    private byte[]? _lastNotifyOk;

    private DateTimeOffset _bootedAt;
    private DateTimeOffset _firstSubscribeAt;
    private DateTimeOffset? _answeredAt;
    private DateTimeOffset? _notifiedAt;
    private DateTimeOffset? _downloadedAt;
    private int _notifies;
    private string? _url;
    private long _bytes;
    private bool _finished;
    // A phone provisioned by a NOTIFY that overtook the 200 reports once its SUBSCRIBE transaction ends,
    // so that SUBSCRIBE→200 is measured for it too.
    private PhoneResult? _heldResult;

    /// <summary>Use <see cref="Props"/>.</summary>
    public SimulatedPhone(PhoneIdentity phone, IPEndPoint local, IActorRef transport, IActorRef reporter, PhoneOptions options)
    {
        _phone = phone;
        _local = local;
        _transport = transport;
        _reporter = reporter;
        _options = options;
        _callId = phone.CallIdFor(local);
        _lossRandom = options.OutboundLoss > 0 ? new Random(phone.Seed) : null;
    }

    /// <summary>Props of a phone at <paramref name="local"/> sending through <paramref name="transport"/> and reporting to <paramref name="reporter"/>.</summary>
    public static Props Props(PhoneIdentity phone, IPEndPoint local, IActorRef transport, IActorRef reporter, PhoneOptions options) =>
        Akka.Actor.Props.Create<SimulatedPhone>(phone, local, transport, reporter, options);

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The Call-ID this phone uses (the farm routes by it).</summary>
    public string CallId => _callId;

    private DateTimeOffset Now => Context.System.Scheduler.Now;

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        if (message is Boot) OnBoot();
        else Unhandled(message);
    }

    /// <inheritdoc />
    protected override void PostStop() => _stopping.Cancel();

    private void OnBoot()
    {
        _bootedAt = Now;
        _subscribe = SubscribeRenderer.Render(_phone, _local, _options.Target);
        _firstSubscribeAt = Now;
        _transmissions = 1;
        // RFC 3261 §17.1.2.2: Timer E starts at T1 on unreliable transports. The timers are armed
        // before anything leaves: whoever sees the datagram (a test moving a virtual clock) must find
        // them already counting from now.
        _interval = _options.Timers.TimerEInitial;
        Timers.StartSingleTimer("E", TimerE.Instance, _interval);
        Timers.StartSingleTimer("F", TimerF.Instance, _phone.Profile.GiveUpAfter);
        Become(Subscribing);
        SendDatagram(_subscribe, _options.Target);
        _reporter.Tell(new PhoneProgress(_phone.Index, PhoneStep.Booted));
    }

    private void Subscribing(object message)
    {
        switch (message)
        {
            case TimerF:
                EndTransaction();
                // Nothing heard within the phone's patience: it gives up on PnP (protocol.md §4.2).
                Finish(PhoneOutcome.NoAnswer, null, $"no answer after {_transmissions} SUBSCRIBE(s)");
                break;
            default:
                OnCommon(message);
                break;
        }
    }

    private void AwaitingNotify(object message)
    {
        switch (message)
        {
            case TimerN:
                Finish(PhoneOutcome.NotifyMissing, null, "200 received but no NOTIFY within Timer N");
                break;
            default:
                OnCommon(message);
                break;
        }
    }

    private void Downloading(object message)
    {
        switch (message)
        {
            case DownloadDone done when done.Result.Success:
                _downloadedAt = Now;
                _bytes = done.Result.Bytes;
                _reporter.Tell(new PhoneProgress(_phone.Index, PhoneStep.Downloaded));
                Finish(PhoneOutcome.Provisioned, done.Result.StatusCode, null);
                break;
            case DownloadDone done:
                Finish(PhoneOutcome.DownloadFailed, done.Result.StatusCode, done.Result.Error);
                break;
            default:
                OnCommon(message);
                break;
        }
    }

    private void Finished(object message)
    {
        switch (message)
        {
            case LingerOver:
                Context.Stop(Self);
                break;
            default:
                OnCommon(message);
                break;
        }
    }

    /// <summary>What every phase handles the same way: the transaction's timers, responses and NOTIFYs.</summary>
    private void OnCommon(object message)
    {
        switch (message)
        {
            case Inbound { Message: SipResponse response }:
                OnResponse(response);
                break;
            case Inbound { Message: SipRequest request } inbound:
                OnRequest(request, inbound.Origin);
                break;
            case TimerE:
                OnTimerE();
                break;
            case TimerF:
                EndTransaction();
                break;
            case TimerN or DownloadDone or Boot or LingerOver:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnTimerE()
    {
        if (_transactionDone || _transmissions >= _phone.Profile.MaxSubscribeTransmissions) return;
        _transmissions++;
        // RFC 3261 §17.1.2.2: in Trying E doubles up to T2; in Proceeding it is T2. Armed before the
        // send, for the same reason as in OnBoot.
        _interval = _options.Timers.NextTimerE(_interval, _proceeding);
        Timers.StartSingleTimer("E", TimerE.Instance, _interval);
        SendDatagram(_subscribe, _options.Target);
    }

    private void EndTransaction()
    {
        _transactionDone = true;
        Timers.Cancel("E");
        Timers.Cancel("F");
        if (_heldResult is null) return;
        _reporter.Tell(_heldResult with { AnsweredAt = _answeredAt });
        _heldResult = null;
    }

    private void OnResponse(SipResponse response)
    {
        // RFC 3261 §17.1.3: our transaction by CSeq (and branch when we sent one); snom sends none.
        if (response.CSeq.Method != SipMethods.Subscribe || response.CSeq.Number != _phone.Profile.InitialCSeq) return;
        if (response.TopVia.Branch is { } branch && _phone.Profile.Style != Profiles.SubscribeStyle.Snom && branch != _phone.Branch) return;
        if (_transactionDone) return; // RFC 3261 §17.1.2.2: Completed absorbs retransmitted finals.
        if (response.StatusCode < 200)
        {
            _proceeding = true;
            return;
        }
        if (response.StatusCode < 300)
        {
            // RFC 6665 §8.3.1: a 202 is treated like a 200.
            _answeredAt = Now;
            _reporter.Tell(new PhoneProgress(_phone.Index, PhoneStep.Answered));
            EndTransaction();
            if (_notifiedAt is null && !_finished)
            {
                Timers.StartSingleTimer("N", TimerN.Instance, _options.Timers.T1 * 64);
                Become(AwaitingNotify);
            }
            return;
        }
        EndTransaction();
        // A final error before any NOTIFY ends PnP (Grandstream stops on 500, others alike).
        if (_notifiedAt is null && !_finished) Finish(PhoneOutcome.Rejected, response.StatusCode, $"{response.StatusCode} {response.ReasonPhrase}");
    }

    private void OnRequest(SipRequest request, DatagramOrigin origin)
    {
        if (request.Method != SipMethods.Notify)
        {
            if (request.Method != SipMethods.Ack) Reply(request, origin, 405);
            return;
        }
        // RFC 3261 §12.2.2: the NOTIFY belongs to our subscription only if it carries our tag.
        if (request.To.Tag is { } tag && tag != _phone.FromTag)
        {
            Reply(request, origin, 481);
            return;
        }
        _notifies++;
        if (_lastNotifyCSeq == request.CSeq.Number && _lastNotifyOk is not null)
        {
            // A retransmission: our 200 was lost; send the very same 200 again (RFC 3261 §17.2.2).
            SendDatagram(_lastNotifyOk, ResponseRouting.ResponseDestination(request.TopVia, origin.Source));
            return;
        }
        _lastNotifyCSeq = request.CSeq.Number;
        _lastNotifyOk = SipResponseBuilder.Build(request, origin.Source, 200, _phone.FromTag,
            extraHeaders: [new SipHeader(HeaderNames.UserAgent, _phone.Profile.UserAgent(_phone.Model, _phone.Mac))]);
        SendDatagram(_lastNotifyOk, ResponseRouting.ResponseDestination(request.TopVia, origin.Source));
        if (_notifiedAt is not null || _finished) return;

        // RFC 6665 §4.1.2.4: a NOTIFY before the 200 is accepted just the same.
        _notifiedAt = Now;
        Timers.Cancel("N");
        _reporter.Tell(new PhoneProgress(_phone.Index, PhoneStep.Notified));
        var contentType = request.ContentType;
        if (contentType is null || !contentType.Split(';', 2)[0].Trim().Equals("application/url", StringComparison.OrdinalIgnoreCase))
        {
            Finish(PhoneOutcome.BadNotify, null, $"NOTIFY Content-Type '{contentType}' is not application/url");
            return;
        }
        var body = Encoding.UTF8.GetString(request.Body.Span);
        var uri = SettingsUrl.Resolve(_phone, body, out var error);
        if (uri is null)
        {
            _url = body;
            Finish(PhoneOutcome.BadNotify, null, error);
            return;
        }
        _url = uri.ToString();
        if (_options.Fetcher is not { } fetcher)
        {
            Finish(PhoneOutcome.Provisioned, null, null);
            return;
        }
        Become(Downloading);
        fetcher.FetchAsync(uri, _stopping.Token).PipeTo(Self,
            success: result => new DownloadDone(result),
            failure: ex => new DownloadDone(FetchResult.Failed(ex.GetBaseException().Message)));
    }

    private void Reply(SipRequest request, DatagramOrigin origin, int status) =>
        SendDatagram(SipResponseBuilder.Build(request, origin.Source, status, _phone.FromTag),
            ResponseRouting.ResponseDestination(request.TopVia, origin.Source));

    private void SendDatagram(byte[] data, IPEndPoint destination)
    {
        if (_lossRandom is not null && _lossRandom.NextDouble() < _options.OutboundLoss) return;
        _transport.Tell(new SipTransport.Send(data, destination, _local.Address));
    }

    private void Finish(PhoneOutcome outcome, int? status, string? detail)
    {
        if (_finished) return;
        _finished = true;
        Timers.Cancel("N");
        var result = new PhoneResult(
            _phone.Index, _phone.Mac, _phone.Profile.Vendor, _phone.Model.Name, outcome, status, detail,
            _bootedAt, _firstSubscribeAt, _answeredAt, _notifiedAt, _downloadedAt, Now,
            _transmissions, _notifies, _url, _bytes);
        if (_transactionDone) _reporter.Tell(result);
        else _heldResult = result;
        Timers.StartSingleTimer("linger", LingerOver.Instance, _options.EffectiveLinger);
        Become(Finished);
    }
}
