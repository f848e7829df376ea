namespace SnomActors.Sip.Building;

/// <summary>
/// RFC 3261 Table 4 timer values for UDP. Everything derives from T1, T2 and T4 so that tests
/// (and operators on lossy links) can scale them together.
/// </summary>
public sealed record SipTimers(TimeSpan T1, TimeSpan T2, TimeSpan T4)
{
    public static readonly SipTimers Default = new(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5));

    /// <summary>Timer E starts at T1 (RFC 3261 §17.1.2.2).</summary>
    public TimeSpan TimerEInitial => T1;

    /// <summary>Timer F = 64·T1: the NOTIFY client transaction gives up.</summary>
    public TimeSpan TimerF => T1 * 64;

    /// <summary>Timer J = 64·T1 on UDP: the SUBSCRIBE server transaction keeps its final response.</summary>
    public TimeSpan TimerJ => T1 * 64;

    /// <summary>Timer K = T4 on UDP: the NOTIFY client transaction absorbs response retransmissions.</summary>
    public TimeSpan TimerK => T4;

    /// <summary>RFC 3261 §17.1.2.2: in Trying, E doubles up to T2; in Proceeding it stays at T2.</summary>
    public TimeSpan NextTimerE(TimeSpan current, bool proceeding) =>
        proceeding ? T2 : TimeSpan.FromTicks(Math.Min(current.Ticks * 2, T2.Ticks));
}
