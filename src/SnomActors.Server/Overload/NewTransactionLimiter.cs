using System.Net;
using System.Threading.RateLimiting;

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
/// answer statelessly) per source IP and globally, never blocking. Buckets are
/// <see cref="TokenBucketRateLimiter"/>s with manual replenishment driven by the router's timer, so
/// the limits run in the actor system's (possibly virtual) time and tests are deterministic.
/// Owned by one actor: not thread-safe by design.
/// </summary>
public sealed class NewTransactionLimiter : IDisposable
{
    /// <summary>How often the owner must call <see cref="Replenish"/>.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    private readonly RateLimitOptions _options;
    private readonly Bucket? _global;
    private readonly Dictionary<IPAddress, Bucket> _perSource = new();
    private readonly List<IPAddress> _idle = [];

    public NewTransactionLimiter(RateLimitOptions options)
    {
        _options = options;
        if (options.GlobalPerSecond > 0) _global = Create(options.GlobalPerSecond, options.GlobalBurst);
    }

    /// <summary>Per-source buckets currently tracked.</summary>
    public int TrackedSources => _perSource.Count;

    /// <summary>True when a new transaction from <paramref name="source"/> may start; else the reason to shed it.</summary>
    public bool TryAdmit(IPAddress source, out string reason)
    {
        reason = "";
        if (_options.PerSourcePerSecond > 0 && !(_options.ExemptLoopback && IPAddress.IsLoopback(source)))
        {
            if (!_perSource.TryGetValue(source, out var bucket))
            {
                if (_perSource.Count < _options.MaxTrackedSources)
                {
                    bucket = Create(_options.PerSourcePerSecond, _options.PerSourceBurst);
                    _perSource[source] = bucket;
                }
            }
            if (bucket is not null)
            {
                using var lease = bucket.Limiter.AttemptAcquire();
                if (!lease.IsAcquired)
                {
                    reason = "rate-per-source";
                    return false;
                }
            }
        }
        if (_global is not null)
        {
            using var lease = _global.Limiter.AttemptAcquire();
            if (!lease.IsAcquired)
            {
                reason = "rate-global";
                return false;
            }
        }
        return true;
    }

    /// <summary>Adds one tick's tokens to every bucket and forgets sources whose bucket is full again.</summary>
    public void Replenish()
    {
        _global?.TryReplenish();
        _idle.Clear();
        foreach (var (source, bucket) in _perSource)
        {
            bucket.TryReplenish();
            if (bucket.Limiter.GetStatistics()?.CurrentAvailablePermits >= _options.PerSourceBurst) _idle.Add(source);
        }
        foreach (var source in _idle)
        {
            _perSource.Remove(source, out var bucket);
            bucket?.Limiter.Dispose();
        }
    }

    private static Bucket Create(double perSecond, int burst)
    {
        // Rates below one token per tick add one token every few ticks instead.
        var tokensPerTick = perSecond * Tick.TotalSeconds;
        var perTick = tokensPerTick >= 1 ? (int)Math.Round(tokensPerTick) : 1;
        var ticksPerRefill = tokensPerTick >= 1 ? 1 : (int)Math.Ceiling(1 / tokensPerTick);
        var limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, burst),
            TokensPerPeriod = perTick,
            ReplenishmentPeriod = Tick,
            AutoReplenishment = false,
            QueueLimit = 0,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        return new Bucket(limiter, ticksPerRefill);
    }

    private sealed class Bucket(TokenBucketRateLimiter limiter, int ticksPerRefill)
    {
        private int _ticks;
        public TokenBucketRateLimiter Limiter => limiter;

        public void TryReplenish()
        {
            if (++_ticks < ticksPerRefill) return;
            _ticks = 0;
            limiter.TryReplenish();
        }
    }

    public void Dispose()
    {
        _global?.Limiter.Dispose();
        foreach (var bucket in _perSource.Values) bucket.Limiter.Dispose();
        _perSource.Clear();
    }
}
