using System.Net;

namespace SnomActors.Transport;

/// <summary>
/// Where a datagram came from and how it reached us. <see cref="ViaMulticast"/> decides
/// whether we may answer errors (unicast) or must stay silent (multicast group, protocol.md §1.4).
/// </summary>
/// <param name="Source">The sender's address and port as seen on the wire.</param>
/// <param name="LocalAddress">The unicast address of the interface the datagram arrived on (never the group address).</param>
/// <param name="InterfaceIndex">OS interface index (IP_PKTINFO), 0 when unknown.</param>
/// <param name="ViaMulticast">True when the datagram was addressed to the 224.0.1.75 group.</param>
/// <param name="SourceOnLink">
/// Whether the source lies in the subnet of the arrival interface (protocol.md §1.4); null when
/// the transport cannot tell (then no check is made).
/// </param>
public sealed record DatagramOrigin(IPEndPoint Source, IPAddress LocalAddress, int InterfaceIndex, bool ViaMulticast, bool? SourceOnLink = null);

/// <summary>The datagram protocol spoken between the SIP core and a transport (real UDP or the in-memory network).</summary>
public static class SipTransport
{
    /// <summary>A datagram received from the network, delivered to the transport's listener (the router).</summary>
    public sealed record Received(byte[] Data, DatagramOrigin Origin);

    /// <summary>
    /// Send <paramref name="Data"/> to <paramref name="Destination"/> from our SIP port, using
    /// <paramref name="LocalAddress"/> as source address when the transport can choose it.
    /// </summary>
    public sealed record Send(ReadOnlyMemory<byte> Data, IPEndPoint Destination, IPAddress? LocalAddress);

    /// <summary>Sent by a transport to its listener once it is bound and receiving.</summary>
    public sealed record Bound(IReadOnlyList<IPEndPoint> LocalEndpoints, IReadOnlyList<string> MulticastInterfaces);
}
