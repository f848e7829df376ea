using System.Net.Sockets;

namespace SnomActors.Transport.Udp;

/// <summary>
/// Where the socket actor gets its sockets and its view of the interfaces from. Both must come from
/// the same network namespace; tests substitute a factory that creates sockets inside a namespace
/// they set up (a socket keeps the namespace it was created in).
/// </summary>
public interface ISocketFactory
{
    /// <summary>A new, unbound IPv4 UDP socket.</summary>
    Socket CreateUdpSocket();

    /// <summary>The current interfaces of the sockets' network namespace.</summary>
    IReadOnlyList<NetworkInterfaceSnapshot> ListInterfaces();
}

/// <summary>The machine's own network: plain sockets and <see cref="NetworkInterfaceSnapshot.FromSystem"/>.</summary>
public sealed class SystemSocketFactory : ISocketFactory
{
    /// <summary>The single instance.</summary>
    public static readonly SystemSocketFactory Instance = new();

    private SystemSocketFactory()
    {
    }

    /// <inheritdoc />
    public Socket CreateUdpSocket() => new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    /// <inheritdoc />
    public IReadOnlyList<NetworkInterfaceSnapshot> ListInterfaces() => NetworkInterfaceSnapshot.FromSystem();
}
