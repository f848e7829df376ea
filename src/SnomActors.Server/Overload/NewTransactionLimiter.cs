using System.Net;

namespace SnomActors.Server.Overload;

/// <summary>Token-bucket limits on new SIP transactions (issue 5 item 2, protocol.md §6).</summary>
/// <param name="PerSourcePerSecond">New transactions per second one source IP may start; 0 = unlimited.</param>
/// <param name="PerSourceBurst">Bucket size per source.</param>
/// <param name="GlobalPerSecond">New transactions per second for all sources together; 0 = unlimited.</param>
/// <param name="GlobalBurst">Global bucket size.</param>
/// <param name="ExemptLoopback">Loopback sources (load generators, local tools) skip the per-source bucket; they are not LAN phones.</param>
/// <param name="MaxTrackedSources">Bound on per-source buckets kept; beyond it new sources share the global bucket only.</param>
public sealed record RateLimitOptions(
    double PerSourcePerSecond = 10,
    int PerSourceBurst = 20,
    double GlobalPerSecond = 50_000,
    int GlobalBurst = 50_000,
    bool ExemptLoopback = true,
    int MaxTrackedSources = 100_000)
{
    public static readonly RateLimitOptions Default = new();
}

/// <summary>
/// Admits or sheds new transactions (a SUBSCRIBE that would start a dialog, or a request we would
/// answer statelessly) per source IP and globally, never blocking. Token buckets refilled only by
/// <see cref="Replenish"/>, which the router's timer calls every <see cref="Tick"/>: the limits run in
/// the actor system's (possibly virtual) time and tests are deterministic. Not
/// <see cref="System.Threading.RateLimiting.TokenBucketRateLimiter"/>: its manual
/// <c>TryReplenish</c> adds tokens for the Stopwatch time since the previous call (measured on .NET
/// 10.0.12), so virtual ticks added nothing and a rate below one token per tick ran at one per tick.
/// Owned by one actor: not thread-safe by design.
/// </summary>
public sealed class NewTransactionLimiter : IDisposable
{
    /// <summary>How often the owner must call <see cref="Replenish"/>.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    private readonly RateLimitOptions _options;
    private readonly TokenBucket? _global;
    private readonly Dictionary<IPAddress, TokenBucket> _perSource = new();
    private readonly List<IPAddress> _idle = [];

    public NewTransactionLimiter(RateLimitOptions options)
    {
        _options = options;
        if (options.GlobalPerSecond > 0) _global = new TokenBucket(options.GlobalPerSecond, options.GlobalBurst);
    }

    /// <summary>Per-source buckets currently tracked.</summary>
    public int TrackedSources => _perSource.Count;

    /// <summary>True when a new transaction from <paramref name="source"/> may start; else the reason to shed it.</summary>
    public bool TryAdmit(IPAddress source, out string reason)
    {
        reason = "";
        if (_options.PerSourcePerSecond > 0 && !(_options.ExemptLoopback && IPAddress.IsLoopback(source)))
        {
            if (!_perSource.TryGetValue(source, out var bucket) && _perSource.Count < _options.MaxTrackedSources)
            {
                bucket = new TokenBucket(_options.PerSourcePerSecond, _options.PerSourceBurst);
                _perSource[source] = bucket;
            }
            if (bucket is not null && !bucket.TryTake())
            {
                reason = "rate-per-source";
                return false;
            }
        }
        if (_global is not null && !_global.TryTake())
        {
            reason = "rate-global";
            return false;
        }
        return true;
    }

    /// <summary>Adds one tick's tokens to every bucket and forgets sources whose bucket is full again.</summary>
    public void Replenish()
    {
        _global?.Refill(Tick);
        _idle.Clear();
        foreach (var (source, bucket) in _perSource)
        {
            bucket.Refill(Tick);
            if (bucket.IsFull) _idle.Add(source);
        }
        foreach (var source in _idle) _perSource.Remove(source);
    }

    public void Dispose() => _perSource.Clear();
}
