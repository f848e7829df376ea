using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace SnomActors.Transport.Udp;

/// <summary>An IPv4 address of an interface with its prefix length (10.75.0.1/24).</summary>
public sealed record Ipv4Subnet(IPAddress Address, int PrefixLength)
{
    /// <inheritdoc />
    public override string ToString() => $"{Address}/{PrefixLength}";
}

/// <summary>
/// What the transport needs to know about one network interface, decoupled from
/// <see cref="NetworkInterface"/> so that interface selection is a pure function and tests can
/// describe any machine (or a network namespace).
/// </summary>
/// <param name="Name">OS interface name (eth0).</param>
/// <param name="Index">OS interface index, as IP_PKTINFO reports it.</param>
/// <param name="IsUp">Operational status is up.</param>
/// <param name="SupportsMulticast">The interface has the MULTICAST flag.</param>
/// <param name="IsLoopback">A loopback interface.</param>
/// <param name="Ipv4Addresses">Its IPv4 addresses, primary first.</param>
public sealed record NetworkInterfaceSnapshot(
    string Name,
    int Index,
    bool IsUp,
    bool SupportsMulticast,
    bool IsLoopback,
    IReadOnlyList<Ipv4Subnet> Ipv4Addresses)
{
    /// <summary>
    /// The interfaces of the network namespace the calling thread lives in, from
    /// <see cref="NetworkInterface.GetAllNetworkInterfaces"/>. Interfaces without IPv4 are listed with no addresses.
    /// </summary>
    public static IReadOnlyList<NetworkInterfaceSnapshot> FromSystem()
    {
        var result = new List<NetworkInterfaceSnapshot>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            IPInterfaceProperties properties;
            int index;
            try
            {
                properties = nic.GetIPProperties();
                // Interfaces without IPv4 throw or return null here; they cannot carry 224.0.1.75.
                index = properties.GetIPv4Properties()?.Index ?? -1;
            }
            catch (NetworkInformationException)
            {
                continue;
            }

            var addresses = properties.UnicastAddresses
                .Where(a => a.Address.AddressFamily == AddressFamily.InterNetwork)
                .Select(a => new Ipv4Subnet(a.Address, a.PrefixLength))
                .ToArray();
            result.Add(new NetworkInterfaceSnapshot(
                nic.Name,
                index,
                nic.OperationalStatus == OperationalStatus.Up,
                nic.SupportsMulticast,
                nic.NetworkInterfaceType == NetworkInterfaceType.Loopback,
                addresses));
        }

        return result;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name} (#{Index}, {(IsUp ? "up" : "down")}{(SupportsMulticast ? ", multicast" : "")}{(IsLoopback ? ", loopback" : "")}" +
        $"{(Ipv4Addresses.Count == 0 ? ", no IPv4" : ", " + string.Join(", ", Ipv4Addresses))})";
}
