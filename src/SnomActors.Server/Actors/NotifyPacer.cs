using Akka.Actor;
using SnomActors.Server.Metrics;
using SnomActors.Server.Overload;
using SnomActors.Transport;

namespace SnomActors.Server.Actors;

/// <summary>
/// Sits between the dialogs and the socket for NOTIFYs only (the 200s go straight to the socket):
/// in a boot storm the cheap 200 that stops a phone retransmitting its SUBSCRIBE leaves first, and
/// NOTIFYs follow at a bounded rate from a bounded queue (issue 5 item 2).
/// </summary>
/// <remarks>
/// A token bucket refilled from the elapsed (possibly virtual) time: a NOTIFY that finds a token and
/// no queue goes out at once, so an idle daemon adds no latency. Otherwise it waits in FIFO order and
/// a 10 ms timer, running only while something waits, releases what the tokens allow. A dialog
/// whose NOTIFY is still waiting gets its retransmission coalesced (the copy in the queue is the
/// same bytes). When the queue is full the NOTIFY is dropped — to the dialog that is a lost
/// datagram, which Timer E repairs — and the parent router hears <see cref="Congested"/> until the
/// queue is back under half its limit, so that it refuses new SUBSCRIBEs instead of piling up NOTIFYs.
/// </remarks>
public sealed class NotifyPacer : UntypedActor, IWithTimers
{
    /// <summary>A NOTIFY datagram of <paramref name="Dialog"/> to send when the pacing allows.</summary>
    public sealed record Enqueue(SipTransport.Send Datagram, IActorRef Dialog);

    /// <summary>Told to the parent when the queue fills (<c>true</c>) and when it has drained to half (<c>false</c>).</summary>
    public sealed record Congested(bool IsCongested);

    /// <summary>The router recreated its socket actor: send through <paramref name="Transport"/> from now on.</summary>
    public sealed record UseTransport(IActorRef Transport);

    private sealed record Release
    {
        public static readonly Release Instance = new();
    }

    /// <summary>How often waiting NOTIFYs are released (the scheduler's resolution).</summary>
    public static readonly TimeSpan ReleaseInterval = TimeSpan.FromMilliseconds(10);

    private readonly NotifyPacingOptions _options;
    private IActorRef _transport;
    private readonly PnpMetrics _metrics;
    private readonly Queue<Enqueue> _waiting = new();
    private readonly HashSet<IActorRef> _dialogsWaiting = [];
    private readonly TokenBucket _tokens;
    private DateTimeOffset _refilledAt;
    private bool _congested;

    public NotifyPacer(NotifyPacingOptions options, IActorRef transport, PnpMetrics metrics)
    {
        _options = options;
        _transport = transport;
        _metrics = metrics;
        _tokens = new TokenBucket(options.PerSecond, options.Burst);
    }

    public static Props Props(NotifyPacingOptions options, IActorRef transport, PnpMetrics metrics) =>
        Akka.Actor.Props.Create<NotifyPacer>(options, transport, metrics);

    public ITimerScheduler Timers { get; set; } = null!;

    private DateTimeOffset Now => Context.System.Scheduler.Now;

    protected override void PreStart() => _refilledAt = Now;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Enqueue notify:
                OnEnqueue(notify);
                break;
            case Release:
                Refill();
                Drain();
                break;
            case UseTransport use:
                _transport = use.Transport;
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnEnqueue(Enqueue notify)
    {
        if (_waiting.Count == 0)
        {
            Refill();
            if (_tokens.TryTake())
            {
                SendNow(notify.Datagram);
                return;
            }
        }
        if (_dialogsWaiting.Contains(notify.Dialog))
        {
            _metrics.NotifyCoalesced();
            return;
        }
        if (_waiting.Count >= _options.QueueLimit)
        {
            _metrics.ShedRequest("notify-queue-full");
            SetCongested(true);
            return;
        }
        _waiting.Enqueue(notify);
        _dialogsWaiting.Add(notify.Dialog);
        _metrics.NotifyQueueDepth(_waiting.Count);
        if (!Timers.IsTimerActive(nameof(Release)))
            Timers.StartPeriodicTimer(nameof(Release), Release.Instance, ReleaseInterval);
    }

    private void Refill()
    {
        var now = Now;
        _tokens.Refill(now - _refilledAt);
        _refilledAt = now;
    }

    private void Drain()
    {
        while (_waiting.Count > 0 && _tokens.TryTake())
        {
            var next = _waiting.Dequeue();
            _dialogsWaiting.Remove(next.Dialog);
            SendNow(next.Datagram);
        }
        _metrics.NotifyQueueDepth(_waiting.Count);
        if (_congested && _waiting.Count <= _options.QueueLimit / 2) SetCongested(false);
        // Repeated once a tick while congested: a router restarted meanwhile starts uncongested.
        else if (_congested) Context.Parent.Tell(new Congested(true));
        if (_waiting.Count == 0) Timers.Cancel(nameof(Release));
    }

    private void SendNow(SipTransport.Send datagram)
    {
        _transport.Tell(datagram);
        _metrics.DatagramSent(SentDatagram.Notify);
    }

    private void SetCongested(bool congested)
    {
        if (_congested == congested) return;
        _congested = congested;
        Context.Parent.Tell(new Congested(congested));
    }
}
