using System.Collections.Concurrent;
using System.Net;

namespace SnomActors.Http.Security;

/// <summary>Exponential back-off of failed authentication per source address.</summary>
/// <param name="FreeFailures">Failures allowed before the first block (typos, a phone's first unauthenticated try).</param>
/// <param name="FirstBlock">Length of the first block; each further failure doubles it.</param>
/// <param name="MaxBlock">Longest block.</param>
/// <param name="ForgetAfter">A source with no failure for this long starts from zero again.</param>
/// <param name="MaxTrackedSources">Bound of the table (a spoofing flood cannot exhaust memory).</param>
public sealed record BackoffOptions(
    int FreeFailures = 5, TimeSpan? FirstBlock = null, TimeSpan? MaxBlock = null, TimeSpan? ForgetAfter = null, int MaxTrackedSources = 100_000)
{
    /// <summary>Defaults: 5 free failures, then 1 s, 2 s, 4 s … up to 5 minutes; forgotten after 15 quiet minutes.</summary>
    public static readonly BackoffOptions Default = new();

    internal TimeSpan First => FirstBlock ?? TimeSpan.FromSeconds(1);
    internal TimeSpan Max => MaxBlock ?? TimeSpan.FromMinutes(5);
    internal TimeSpan Forget => ForgetAfter ?? TimeSpan.FromMinutes(15);
}

/// <summary>
/// Counts failed authentications per source IP and blocks a source for exponentially growing
/// periods once it has used its free failures: brute force from one address is slowed to a crawl
/// while an operator's typo costs nothing. Thread-safe and non-blocking; the table is bounded.
/// </summary>
public sealed class FailureBackoff(BackoffOptions options, TimeProvider time)
{
    private sealed record Entry(int Failures, DateTimeOffset LastFailure, DateTimeOffset BlockedUntil);

    private readonly ConcurrentDictionary<IPAddress, Entry> _sources = new();

    /// <summary>Sources currently tracked.</summary>
    public int TrackedSources => _sources.Count;

    /// <summary>True when <paramref name="source"/> is blocked now; <paramref name="retryAfter"/> says for how long.</summary>
    public bool IsBlocked(IPAddress? source, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (source is null || !_sources.TryGetValue(Normalize(source), out var entry)) return false;
        var left = entry.BlockedUntil - time.GetUtcNow();
        if (left <= TimeSpan.Zero) return false;
        retryAfter = left;
        return true;
    }

    /// <summary>Records a failure; returns the block it caused (zero while failures are still free).</summary>
    public TimeSpan Failure(IPAddress? source)
    {
        if (source is null) return TimeSpan.Zero;
        var now = time.GetUtcNow();
        if (_sources.Count >= options.MaxTrackedSources) Prune(now);
        var entry = _sources.AddOrUpdate(Normalize(source),
            _ => Next(0, now),
            (_, old) => Next(now - old.LastFailure > options.Forget ? 0 : old.Failures, now));
        return entry.BlockedUntil > now ? entry.BlockedUntil - now : TimeSpan.Zero;
    }

    /// <summary>A success from <paramref name="source"/>: it starts from zero.</summary>
    public void Success(IPAddress? source)
    {
        if (source is not null) _sources.TryRemove(Normalize(source), out _);
    }

    private Entry Next(int previousFailures, DateTimeOffset now)
    {
        var failures = previousFailures + 1;
        var over = failures - options.FreeFailures;
        if (over <= 0) return new Entry(failures, now, DateTimeOffset.MinValue);
        // 2^(over-1) × first, capped; the shift is bounded so it cannot overflow.
        var factor = 1L << Math.Min(over - 1, 30);
        var ticks = Math.Min(options.Max.Ticks, options.First.Ticks * factor);
        if (ticks < 0) ticks = options.Max.Ticks;
        return new Entry(failures, now, now + TimeSpan.FromTicks(ticks));
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (ip, entry) in _sources)
            if (entry.BlockedUntil < now && now - entry.LastFailure > options.Forget) _sources.TryRemove(ip, out _);
        // Still full of live entries (a flood of spoofed sources): forget the unblocked ones rather than grow.
        if (_sources.Count >= options.MaxTrackedSources)
            foreach (var (ip, entry) in _sources)
                if (entry.BlockedUntil < now) _sources.TryRemove(ip, out _);
    }

    private static IPAddress Normalize(IPAddress ip) => ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
}
