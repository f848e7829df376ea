using System.Net;
using SnomActors.Simulator.Profiles;

namespace SnomActors.Simulator.Cli;

/// <summary>The parsed flags of <c>snomactors simulate</c>.</summary>
public sealed record SimulateSettings
{
    /// <summary>Where the SUBSCRIBEs go (unicast server or 224.0.1.75:5060).</summary>
    public required IPEndPoint Target { get; init; }

    /// <summary>Number of phones.</summary>
    public int Phones { get; init; } = 1;

    /// <summary>Boots per second; 0 = all at once.</summary>
    public double Rate { get; init; }

    /// <summary>Vendor mix.</summary>
    public VendorMix Mix { get; init; } = VendorMix.Parse("snom");

    /// <summary>Simulated loss on the phone side, applied to both directions.</summary>
    public double Loss { get; init; }

    /// <summary>Seed of MACs, Call-IDs, tags and the simulated loss.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Print the report as JSON.</summary>
    public bool Json { get; init; }

    /// <summary>Stop after this long whatever the phones are doing.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Skip the HTTP download (provisioned = NOTIFY answered).</summary>
    public bool NoDownload { get; init; }

    /// <summary>Address the phones write into Via and Contact and bind their sockets to.</summary>
    public required IPAddress LocalAddress { get; init; }

    /// <summary>Number of UDP sockets the phones share.</summary>
    public int Sockets { get; init; } = 1;

    /// <summary>Interface address for multicast sends (IP_MULTICAST_IF), or null.</summary>
    public IPAddress? MulticastInterface { get; init; }

    /// <summary>HTTP timeout per settings download.</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Draw the live progress bar on stderr.</summary>
    public bool Progress { get; init; } = true;
}
