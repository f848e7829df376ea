using System.Threading.RateLimiting;
using SnomActors.Http.Hosting;

namespace SnomActors.Http.Downloads;

/// <summary>
/// Admission limit for settings downloads (issue 5 item 2): a non-blocking token bucket. A
/// download beyond it is shed at once with 503 and a Retry-After drawn between the configured
/// bounds, so phones shed together do not all come back in the same second.
/// </summary>
public sealed class DownloadAdmission : IDisposable
{
    private readonly TokenBucketRateLimiter? _limiter;
    private readonly DownloadAdmissionOptions _options;
    private long _admitted;
    private long _shed;

    /// <summary>Creates the limiter from options (none when <see cref="DownloadAdmissionOptions.PermitsPerSecond"/> ≤ 0).</summary>
    public DownloadAdmission(DownloadAdmissionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        if (options.PermitsPerSecond <= 0) return;
        // Replenish 10 times a second so the bucket refills smoothly rather than in 1 s steps.
        var perTick = Math.Max(1, (int)Math.Ceiling(options.PermitsPerSecond / 10));
        _limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(options.Burst, perTick),
            TokensPerPeriod = perTick,
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    /// <summary>Downloads let through since start.</summary>
    public long Admitted => Interlocked.Read(ref _admitted);

    /// <summary>Downloads shed with 503 since start (for /metrics).</summary>
    public long Shed => Interlocked.Read(ref _shed);

    /// <summary>Takes one permit without waiting; false means answer 503 with <see cref="NextRetryAfterSeconds"/>.</summary>
    public bool TryAdmit()
    {
        if (_limiter is null) { Interlocked.Increment(ref _admitted); return true; }
        using var lease = _limiter.AttemptAcquire(1);
        if (lease.IsAcquired) { Interlocked.Increment(ref _admitted); return true; }
        Interlocked.Increment(ref _shed);
        return false;
    }

    /// <summary>A Retry-After value, uniformly jittered between the configured bounds.</summary>
    public int NextRetryAfterSeconds()
    {
        var min = Math.Max(1, _options.RetryAfterMinSeconds);
        var max = Math.Max(min, _options.RetryAfterMaxSeconds);
        return Random.Shared.Next(min, max + 1);
    }

    /// <inheritdoc />
    public void Dispose() => _limiter?.Dispose();
}
