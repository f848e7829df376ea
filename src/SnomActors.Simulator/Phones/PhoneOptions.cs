using System.Net;
using SnomActors.Simulator.Fetching;
using SnomActors.Sip.Building;

namespace SnomActors.Simulator.Phones;

/// <summary>Settings shared by every phone of a run.</summary>
public sealed record PhoneOptions
{
    /// <summary>The PnP multicast destination, 224.0.1.75:5060.</summary>
    public static readonly IPEndPoint MulticastTarget = new(IPAddress.Parse("224.0.1.75"), 5060);

    /// <summary>Where SUBSCRIBEs go: the multicast group or a PnP server's unicast address.</summary>
    public IPEndPoint Target { get; init; } = MulticastTarget;

    /// <summary>T1/T2/T4 for the phone's own transactions (Timer E, Timer N = 64·T1, linger = 64·T1).</summary>
    public SipTimers Timers { get; init; } = SipTimers.Default;

    /// <summary>Downloads the settings; null = stop after answering the NOTIFY (<c>--no-download</c>).</summary>
    public ISettingsFetcher? Fetcher { get; init; }

    /// <summary>Probability that a datagram the phone sends is lost before it leaves (CLI <c>--loss</c>).</summary>
    public double OutboundLoss { get; init; }

    /// <summary>Probability that a datagram for a phone is lost on arrival (applied by the <c>PhoneFarm</c>).</summary>
    public double InboundLoss { get; init; }

    /// <summary>
    /// How long a phone stays after its outcome to answer retransmitted NOTIFYs (its 200 may have been
    /// lost); null = 64·T1, the notifier's Timer F.
    /// </summary>
    public TimeSpan? Linger { get; init; }

    /// <summary>The linger time actually used.</summary>
    public TimeSpan EffectiveLinger => Linger ?? Timers.TimerF;
}
