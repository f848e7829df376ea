using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace SnomActors.Transport.Udp;

/// <summary>Allocation-free IPv4 helpers for the receive hot path (IPAddress.GetAddressBytes allocates).</summary>
internal static class Ipv4
{
    /// <summary>The address in host order; 0 for anything that is not IPv4.</summary>
    public static uint ToUInt32(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork) return 0;
        Span<byte> bytes = stackalloc byte[4];
        return address.TryWriteBytes(bytes, out _) ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : 0;
    }

    public static bool IsMulticast(IPAddress address) => (ToUInt32(address) >> 28) == 0xE;

    /// <summary>Directed broadcast address of the subnet, e.g. 10.75.0.255 for 10.75.0.1/24.</summary>
    public static uint Broadcast(uint address, int prefixLength) =>
        prefixLength is <= 0 or >= 32 ? uint.MaxValue : address | (uint.MaxValue >> prefixLength);
}
