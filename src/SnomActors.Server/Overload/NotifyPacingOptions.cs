namespace SnomActors.Server.Overload;

/// <summary>
/// Pacing of outgoing NOTIFYs (issue 5 item 2): a token bucket in front of the socket and a bounded
/// queue behind it.
/// </summary>
/// <param name="PerSecond">NOTIFYs (first transmissions and retransmissions) sent per second; 0 or less = unpaced.</param>
/// <param name="Burst">NOTIFYs that may leave at once after a quiet period.</param>
/// <param name="QueueLimit">
/// NOTIFYs waiting for a token. Beyond it a NOTIFY is dropped (its dialog's Timer E sends it again,
/// as after a lost datagram) and the router refuses new SUBSCRIBEs until the queue is half empty.
/// </param>
public sealed record NotifyPacingOptions(double PerSecond = 5_000, int Burst = 1_000, int QueueLimit = 20_000)
{
    public static readonly NotifyPacingOptions Default = new();

    /// <summary>No pacing: every NOTIFY goes to the socket at once.</summary>
    public static readonly NotifyPacingOptions Unpaced = new(0, 0, 0);

    public bool Enabled => PerSecond > 0;
}
