namespace SnomActors.Server.Overload;

/// <summary>
/// A token bucket counted in thousandths of a token, refilled by its owner for the (virtual) time
/// that passed, so that a rate adds an exact amount per step (1/s over a 100 ms tick: a whole token
/// every ten ticks) without floating-point drift, and tests drive it deterministically. Owned by one
/// actor: not thread-safe by design.
/// </summary>
internal sealed class TokenBucket(double perSecond, int burst)
{
    private const long Scale = 1000;
    private readonly long _capacity = Math.Max(1, burst) * Scale;
    private readonly double _perSecondScaled = perSecond * Scale;
    private long _tokens = Math.Max(1, burst) * Scale;

    public bool IsFull => _tokens >= _capacity;

    public bool TryTake()
    {
        if (_tokens < Scale) return false;
        _tokens -= Scale;
        return true;
    }

    /// <summary>Adds the tokens of <paramref name="elapsed"/> (at least a thousandth for any positive time), up to the burst.</summary>
    public void Refill(TimeSpan elapsed)
    {
        if (elapsed <= TimeSpan.Zero) return;
        var added = Math.Max(1, (long)Math.Round(_perSecondScaled * elapsed.TotalSeconds));
        _tokens = Math.Min(_capacity, _tokens + added);
    }
}
