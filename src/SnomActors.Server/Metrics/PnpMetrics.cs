using System.Collections.Concurrent;

namespace SnomActors.Server.Metrics;

/// <summary>
/// Lock-free counters and histograms of the PnP core, written by the router and the dialogs and
/// read by the Prometheus exporter, the status API and <c>snomactors monitor</c>. One instance per
/// daemon; shared by reference (it is the only mutable state that crosses actor boundaries, and only
/// through Interlocked operations).
/// </summary>
public sealed class PnpMetrics
{
    // One slot per kind, indexed by the enum: the hot path is one Interlocked.Increment, no lookup, no allocation.
    private readonly long[] _received = new long[SipDatagramKinds.ReceivedCount];
    private readonly long[] _sent = new long[SipDatagramKinds.SentCount];
    private long _notifyRetransmissions, _notifyTimeouts, _subscribeRetransmissions, _liveDialogs;
    private long _dialogsStarted, _dialogsCompleted, _dialogsCrashed;
    private long _notifyQueueDepth, _notifiesCoalesced;

    /// <summary>Datagrams the router received of <paramref name="kind"/>.</summary>
    public long Received(ReceivedDatagram kind) => Interlocked.Read(ref _received[(int)kind]);

    /// <summary>Datagrams the PnP core handed to the transport of <paramref name="kind"/>.</summary>
    public long Sent(SentDatagram kind) => Interlocked.Read(ref _sent[(int)kind]);

    public long NotifyRetransmissions => Interlocked.Read(ref _notifyRetransmissions);
    public long NotifyTimeouts => Interlocked.Read(ref _notifyTimeouts);
    public long SubscribeRetransmissions => Interlocked.Read(ref _subscribeRetransmissions);
    public long LiveDialogs => Interlocked.Read(ref _liveDialogs);
    public long DialogsStarted => Interlocked.Read(ref _dialogsStarted);
    public long DialogsCompleted => Interlocked.Read(ref _dialogsCompleted);
    public long DialogsCrashed => Interlocked.Read(ref _dialogsCrashed);

    /// <summary>Responses we sent, by status code.</summary>
    public ConcurrentDictionary<int, long> ResponsesSent { get; } = new();

    /// <summary>SUBSCRIBEs by (vendor, outcome): outcome is accepted, rejected-<code>, silenced, shed.</summary>
    public ConcurrentDictionary<(string Vendor, string Outcome), long> Subscribes { get; } = new();

    /// <summary>Requests shed by overload control, by reason (dialog-cap, rate-limit …).</summary>
    public ConcurrentDictionary<string, long> Shed { get; } = new();

    /// <summary>NOTIFY outcomes: acknowledged, rejected-<code>, timeout.</summary>
    public ConcurrentDictionary<string, long> NotifyOutcomes { get; } = new();

    /// <summary>Time from receiving a SUBSCRIBE to sending its 200.</summary>
    public LatencyHistogram SubscribeToOk { get; } = new();

    /// <summary>Time from receiving a SUBSCRIBE to the phone's 200 for our NOTIFY.</summary>
    public LatencyHistogram SubscribeToNotifyAck { get; } = new();

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Budget of full per-dialog outcome log lines per second (the router refills it).</summary>
    public OutcomeLogBudget OutcomeLogs { get; set; } = new(50);

    /// <summary>Counts a datagram the router received (one per datagram, before it is routed).</summary>
    public void DatagramReceived(ReceivedDatagram kind) => Interlocked.Increment(ref _received[(int)kind]);

    /// <summary>Counts a datagram handed to the transport, retransmissions included.</summary>
    public void DatagramSent(SentDatagram kind) => Interlocked.Increment(ref _sent[(int)kind]);

    public void NotifyRetransmitted() => Interlocked.Increment(ref _notifyRetransmissions);

    /// <summary>NOTIFYs waiting in the pacer now.</summary>
    public long NotifyQueue => Interlocked.Read(ref _notifyQueueDepth);

    /// <summary>NOTIFY retransmissions not queued because the dialog's NOTIFY was still waiting.</summary>
    public long NotifiesCoalesced => Interlocked.Read(ref _notifiesCoalesced);

    public void NotifyQueueDepth(int depth) => Interlocked.Exchange(ref _notifyQueueDepth, depth);
    public void NotifyCoalesced() => Interlocked.Increment(ref _notifiesCoalesced);
    public void SubscribeRetransmitted() => Interlocked.Increment(ref _subscribeRetransmissions);
    public void NotifyTimedOut() => Interlocked.Increment(ref _notifyTimeouts);

    public void DialogStarted()
    {
        Interlocked.Increment(ref _dialogsStarted);
        Interlocked.Increment(ref _liveDialogs);
    }

    public void DialogEnded(bool crashed)
    {
        Interlocked.Decrement(ref _liveDialogs);
        if (crashed) Interlocked.Increment(ref _dialogsCrashed);
        else Interlocked.Increment(ref _dialogsCompleted);
    }

    public void ResponseSent(int status) => ResponsesSent.AddOrUpdate(status, 1, static (_, n) => n + 1);
    public void SubscribeOutcome(string vendor, string outcome) => Subscribes.AddOrUpdate((vendor, outcome), 1, static (_, n) => n + 1);
    public void ShedRequest(string reason) => Shed.AddOrUpdate(reason, 1, static (_, n) => n + 1);
    public void NotifyOutcome(string outcome) => NotifyOutcomes.AddOrUpdate(outcome, 1, static (_, n) => n + 1);
}

/// <summary>A fixed-bucket latency histogram (Prometheus style, cumulative on export).</summary>
public sealed class LatencyHistogram
{
    /// <summary>Default upper bounds in seconds: the PnP exchange, from sub-millisecond up to Timer F (32 s).</summary>
    public static readonly double[] BucketBounds =
        [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 32];

    private readonly double[] _bounds;
    private readonly long[] _counts;
    private long _count;
    private long _sumMicros;

    /// <summary>A histogram with the default <see cref="BucketBounds"/>.</summary>
    public LatencyHistogram() : this(BucketBounds) { }

    /// <summary>A histogram with its own upper bounds in seconds (increasing; +Inf is implied).</summary>
    public LatencyHistogram(IReadOnlyList<double> bounds)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        for (var i = 1; i < bounds.Count; i++)
            if (!(bounds[i] > bounds[i - 1])) throw new ArgumentException("Bucket bounds must increase.", nameof(bounds));
        _bounds = [.. bounds];
        _counts = new long[_bounds.Length + 1];
    }

    /// <summary>Upper bounds in seconds of this histogram's buckets (without +Inf).</summary>
    public IReadOnlyList<double> Bounds => _bounds;

    public void Observe(TimeSpan elapsed)
    {
        var seconds = elapsed.TotalSeconds;
        var i = 0;
        while (i < _bounds.Length && seconds > _bounds[i]) i++;
        Interlocked.Increment(ref _counts[i]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sumMicros, (long)(elapsed.Ticks / 10));
    }

    public long Count => Interlocked.Read(ref _count);
    public double SumSeconds => Interlocked.Read(ref _sumMicros) / 1_000_000.0;

    /// <summary>Non-cumulative counts per bucket; the last one is +Inf.</summary>
    public long[] Snapshot()
    {
        var copy = new long[_counts.Length];
        for (var i = 0; i < copy.Length; i++) copy[i] = Interlocked.Read(ref _counts[i]);
        return copy;
    }
}
