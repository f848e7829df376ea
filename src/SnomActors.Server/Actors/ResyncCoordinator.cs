using System.Net;
using Akka.Actor;
using Akka.Event;

namespace SnomActors.Server.Actors;

/// <summary>
/// Paces push re-provisioning (issue 6 item 3): check-sync NOTIFYs for many phones go out at a
/// bounded rate, so that the downloads they trigger do not form a storm of their own. Outcomes are
/// published on the EventStream and kept (the most recent ones) for status queries.
/// </summary>
public sealed class ResyncCoordinator : UntypedActor, IWithTimers
{
    /// <summary>One phone to resync: its MAC (for logs) and the address it last used.</summary>
    public sealed record Target(string? Mac, IPEndPoint Endpoint);

    /// <summary>Queue check-syncs; answered with <see cref="Enqueued"/>.</summary>
    public sealed record Enqueue(IReadOnlyList<Target> Targets, bool Reboot);

    public sealed record Enqueued(int Count, int QueueLength);

    /// <summary>Published on the EventStream for every finished check-sync.</summary>
    public sealed record ResyncFinished(string? Mac, IPEndPoint Endpoint, int? StatusCode, string Detail, DateTimeOffset At);

    /// <summary>Answered with <see cref="Status"/>.</summary>
    public sealed record GetStatus
    {
        public static readonly GetStatus Instance = new();
    }

    public sealed record Status(int Queued, int InFlight, IReadOnlyList<ResyncFinished> Recent);

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(100);
    private const int RecentLimit = 200;

    private readonly IActorRef _router;
    private readonly double _perTick;
    private readonly Queue<(Target Target, bool Reboot)> _queue = new();
    private readonly LinkedList<ResyncFinished> _recent = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private double _credit;
    private int _inFlight;

    /// <param name="router">The <see cref="DialogRouter"/> that owns the SIP socket.</param>
    /// <param name="perSecond">Check-syncs started per second.</param>
    public ResyncCoordinator(IActorRef router, double perSecond)
    {
        _router = router;
        _perTick = Math.Max(0.01, perSecond) * TickInterval.TotalSeconds;
    }

    public static Props Props(IActorRef router, double perSecond = 20) =>
        Akka.Actor.Props.Create<ResyncCoordinator>(router, perSecond);

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Enqueue enqueue:
                foreach (var target in enqueue.Targets) _queue.Enqueue((target, enqueue.Reboot));
                // Armed before the reply: whoever acts on the reply (a test advancing the virtual
                // clock) must find the pacing already running.
                if (_queue.Count > 0 && !Timers.IsTimerActive(nameof(Tick)))
                {
                    _credit = 1; // the first one goes out at once
                    Timers.StartPeriodicTimer(nameof(Tick), Tick.Instance, TimeSpan.Zero, TickInterval);
                }
                Sender.Tell(new Enqueued(enqueue.Targets.Count, _queue.Count));
                break;
            case Tick:
                // The cap keeps an idle coordinator from saving up a burst, but must not eat the
                // fraction a tick earns: capped at the share itself, 35/s (3.5 a tick) sent 3 a tick, 30/s.
                _credit = Math.Min(_credit + _perTick, Math.Max(1, Math.Ceiling(_perTick)));
                while (_credit >= 1 && _queue.Count > 0)
                {
                    _credit -= 1;
                    var (target, reboot) = _queue.Dequeue();
                    _inFlight++;
                    _router.Tell(new DialogRouter.SendCheckSync(target.Mac, target.Endpoint, reboot, Self));
                }
                if (_queue.Count == 0) Timers.Cancel(nameof(Tick));
                break;
            case CheckSyncTransaction.Outcome outcome:
                _inFlight = Math.Max(0, _inFlight - 1);
                var finished = new ResyncFinished(outcome.Mac, outcome.Target, outcome.StatusCode, outcome.Detail, Context.System.Scheduler.Now);
                _recent.AddFirst(finished);
                if (_recent.Count > RecentLimit) _recent.RemoveLast();
                Context.System.EventStream.Publish(finished);
                _log.Info("check-sync mac={0} target={1}: {2}", outcome.Mac ?? "-", outcome.Target, outcome.Detail);
                break;
            case GetStatus:
                Sender.Tell(new Status(_queue.Count, _inFlight, [.. _recent]));
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
