using System.Net;

namespace SnomActors.Transport.InMemory;

/// <summary>
/// How the simulated LAN of an <see cref="InMemoryNetwork"/> misbehaves. Every copy of a datagram
/// is lost with <see cref="LossProbability"/>, duplicated with <see cref="DuplicationProbability"/>,
/// and delivered after <see cref="BaseDelay"/> plus a uniform random extra delay of up to
/// <see cref="Jitter"/>; jitter is what reorders datagrams.
/// </summary>
public sealed record InMemoryNetworkOptions
{
    /// <summary>The SIP PnP group (RFC 3261 §10.2.6 "sip.mcast.net").</summary>
    public static readonly IPAddress SipMulticastGroup = IPAddress.Parse("224.0.1.75");

    /// <summary>Probability (0..1) that one delivery copy is lost.</summary>
    public double LossProbability { get; init; }

    /// <summary>Probability (0..1) that a delivered copy arrives twice (each copy with its own delay).</summary>
    public double DuplicationProbability { get; init; }

    /// <summary>Fixed one-way delay of every copy. Zero with zero <see cref="Jitter"/> delivers at once.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Upper bound of the random extra delay per copy (uniform); reorders datagrams.</summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>
    /// Delays are rounded up to a multiple of this. Under the TestScheduler every distinct due time is
    /// a bucket that each <c>Advance</c> scans, so coarse delays keep big simulations fast.
    /// </summary>
    public TimeSpan DelayResolution { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Seed of the network's single <see cref="Random"/>.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The multicast group that reaches every endpoint that joined.</summary>
    public IPAddress MulticastGroup { get; init; } = SipMulticastGroup;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (LossProbability is < 0 or > 1 || double.IsNaN(LossProbability))
            throw new ArgumentException("LossProbability must be within 0..1.", nameof(LossProbability));
        if (DuplicationProbability is < 0 or > 1 || double.IsNaN(DuplicationProbability))
            throw new ArgumentException("DuplicationProbability must be within 0..1.", nameof(DuplicationProbability));
        if (BaseDelay < TimeSpan.Zero || Jitter < TimeSpan.Zero)
            throw new ArgumentException("BaseDelay and Jitter must not be negative.", nameof(BaseDelay));
        if (DelayResolution < TimeSpan.Zero)
            throw new ArgumentException("DelayResolution must not be negative.", nameof(DelayResolution));
    }
}
