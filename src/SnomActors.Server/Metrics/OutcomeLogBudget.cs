namespace SnomActors.Server.Metrics;

/// <summary>
/// Rate-limits the one-line-per-dialog logs (issue 6 item 5): up to a budget of lines per second
/// are written in full; beyond it lines are only counted, and the router writes one summary line
/// per second ("N dialog outcomes not logged"). A boot storm of 10,000 phones thus costs a few
/// hundred log lines, not 10,000, and the journal stays readable.
/// </summary>
public sealed class OutcomeLogBudget(int linesPerSecond)
{
    private readonly int _perSecond = linesPerSecond;
    private int _remaining = linesPerSecond;
    private int _suppressed;

    /// <summary>True when this line may be logged; false when it must only be counted.</summary>
    public bool TryTake()
    {
        if (Interlocked.Decrement(ref _remaining) >= 0) return true;
        Interlocked.Increment(ref _suppressed);
        return false;
    }

    /// <summary>Starts a new second; returns how many lines were suppressed in the last one.</summary>
    public int Refill()
    {
        Interlocked.Exchange(ref _remaining, _perSecond);
        return Interlocked.Exchange(ref _suppressed, 0);
    }
}
