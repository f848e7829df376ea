using System.Net.Sockets;
using SnomActors.Tests.Shared;
using SnomActors.Transport.Udp;

namespace SnomActors.Transport.Tests.Udp;

/// <summary>
/// The transport's <see cref="ISocketFactory"/> inside a network namespace: sockets are created, and
/// interfaces listed, on a thread that has entered <paramref name="ns"/> (<see cref="NamespaceThread"/>).
/// </summary>
internal sealed class NamespaceSocketFactory(string ns) : ISocketFactory
{
    public Socket CreateUdpSocket() => NamespaceThread.Run(ns, () => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));

    public IReadOnlyList<NetworkInterfaceSnapshot> ListInterfaces() => NamespaceThread.Run(ns, NetworkInterfaceSnapshot.FromSystem);
}
