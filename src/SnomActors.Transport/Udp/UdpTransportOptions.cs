using System.Net;
using System.Net.Sockets;

namespace SnomActors.Transport.Udp;

/// <summary>
/// Configuration of the UDP SIP transport (<see cref="UdpSocketActor"/>). The defaults are what a
/// PnP server on a LAN needs: all IPv4 addresses, port 5060, the 224.0.1.75 group joined on every
/// multicast-capable interface.
/// </summary>
public sealed record UdpTransportOptions
{
    /// <summary>The SIP-over-UDP PnP multicast group (RFC 3261 §10.2.6 / protocol.md §1).</summary>
    public static readonly IPAddress SipMulticastGroup = IPAddress.Parse("224.0.1.75");

    /// <summary>
    /// Local IPv4 address of the unicast socket. <see cref="IPAddress.Any"/> receives unicast and group
    /// traffic on one socket; a specific address adds a second socket bound to the group, because a
    /// socket bound to a unicast address never sees group datagrams.
    /// </summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Any;

    /// <summary>UDP port for receiving and sending (the source port of every reply). 0 picks an ephemeral port (tests).</summary>
    public int Port { get; init; } = 5060;

    /// <summary>The multicast group to join.</summary>
    public IPAddress MulticastGroup { get; init; } = SipMulticastGroup;

    /// <summary>Whether to join <see cref="MulticastGroup"/> at all (<c>--no-multicast</c> turns it off).</summary>
    public bool EnableMulticast { get; init; } = true;

    /// <summary>
    /// Interfaces to join the group on, each an interface name (<c>eth0</c>) or one of its IPv4 addresses.
    /// Empty: every interface that is up, multicast-capable, not loopback and has an IPv4 address.
    /// </summary>
    public IReadOnlyList<string> MulticastInterfaces { get; init; } = [];

    /// <summary>
    /// SO_RCVBUF in bytes. Large by default so that a boot storm (hundreds of phones multicasting at
    /// once after a power cut) queues in the kernel instead of being dropped. Linux caps it at
    /// <c>net.core.rmem_max</c>; the actor logs a warning when the kernel granted less.
    /// </summary>
    public int ReceiveBufferBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>SO_SNDBUF in bytes (NOTIFY bursts after a storm).</summary>
    public int SendBufferBytes { get; init; } = 1024 * 1024;

    /// <summary>How many times the initial bind/join is retried while the address or interface is not there yet (0 = no retry).</summary>
    public int BindRetryAttempts { get; init; } = 10;

    /// <summary>First delay between bind attempts; it grows exponentially (with jitter) up to <see cref="BindRetryMaxDelay"/>.</summary>
    public TimeSpan BindRetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Upper bound of the delay between bind attempts.</summary>
    public TimeSpan BindRetryMaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often the bound actor re-reads the interfaces and re-joins the group where needed: on an
    /// interface that appeared or came back (new index after being recreated, new address), and leaves
    /// it on interfaces that went away. <see cref="TimeSpan.Zero"/> turns the watch off.
    /// </summary>
    public TimeSpan InterfaceWatchInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether the kernel filters group datagrams by this socket's own memberships (Linux
    /// IP_MULTICAST_ALL off). Off only in tests of the receive loop's own arrival-interface check,
    /// the fallback for kernels without the option.
    /// </summary>
    internal bool KernelMembershipFilter { get; init; } = true;

    /// <summary>Back-off supervisor: first delay before a failed socket actor is recreated.</summary>
    public TimeSpan RestartMinBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Back-off supervisor: longest delay before a failed socket actor is recreated.</summary>
    public TimeSpan RestartMaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Back-off supervisor: random jitter factor added to each delay.</summary>
    public double RestartRandomFactor { get; init; } = 0.2;

    /// <summary>Back-off supervisor: the back-off starts over once a recreated socket actor has run this long.</summary>
    public TimeSpan RestartResetAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Size of the receive buffer per socket. SIP over UDP allows datagrams up to 65,535 bytes; tests
    /// lower it to provoke truncation.
    /// </summary>
    internal int DatagramBufferBytes { get; init; } = 65_535;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (BindAddress.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException($"BindAddress {BindAddress} is not an IPv4 address.", nameof(BindAddress));
        if (Port is < 0 or > IPEndPoint.MaxPort)
            throw new ArgumentException($"Port {Port} is outside 0..65535.", nameof(Port));
        if (MulticastGroup.AddressFamily != AddressFamily.InterNetwork || !Ipv4.IsMulticast(MulticastGroup))
            throw new ArgumentException($"MulticastGroup {MulticastGroup} is not an IPv4 multicast address.", nameof(MulticastGroup));
        if (ReceiveBufferBytes <= 0 || SendBufferBytes <= 0)
            throw new ArgumentException("Socket buffer sizes must be positive.", nameof(ReceiveBufferBytes));
        if (BindRetryAttempts < 0)
            throw new ArgumentException("BindRetryAttempts must not be negative.", nameof(BindRetryAttempts));
        if (BindRetryDelay < TimeSpan.Zero || BindRetryMaxDelay < BindRetryDelay)
            throw new ArgumentException("BindRetryDelay must be >= 0 and <= BindRetryMaxDelay.", nameof(BindRetryDelay));
        if (RestartMinBackoff <= TimeSpan.Zero || RestartMaxBackoff < RestartMinBackoff)
            throw new ArgumentException("RestartMinBackoff must be > 0 and <= RestartMaxBackoff.", nameof(RestartMinBackoff));
        if (InterfaceWatchInterval < TimeSpan.Zero)
            throw new ArgumentException("InterfaceWatchInterval must not be negative.", nameof(InterfaceWatchInterval));
        if (RestartRandomFactor is < 0 or > 1)
            throw new ArgumentException("RestartRandomFactor must be within 0..1.", nameof(RestartRandomFactor));
        if (DatagramBufferBytes is < 1 or > 65_535)
            throw new ArgumentException("DatagramBufferBytes must be within 1..65535.", nameof(DatagramBufferBytes));
        foreach (var name in MulticastInterfaces)
        {
            if (string.IsNullOrWhiteSpace(name))
                throw new ArgumentException("MulticastInterfaces contains an empty entry.", nameof(MulticastInterfaces));
        }
    }
}
