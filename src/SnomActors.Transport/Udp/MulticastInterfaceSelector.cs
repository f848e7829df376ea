using System.Net;
using System.Net.Sockets;

namespace SnomActors.Transport.Udp;

/// <summary>An interface the multicast group is (to be) joined on.</summary>
/// <param name="Name">OS interface name.</param>
/// <param name="Index">OS interface index.</param>
/// <param name="Address">The IPv4 address used for the join and reported as local address.</param>
/// <param name="PrefixLength">Prefix length of <paramref name="Address"/>.</param>
public sealed record MulticastInterface(string Name, int Index, IPAddress Address, int PrefixLength);

/// <summary>
/// A configured multicast interface is not (yet) usable: unknown, down or without an IPv4 address.
/// The socket actor retries the bind on it, since at boot the interface may simply not be up yet.
/// </summary>
public sealed class MulticastInterfaceUnavailableException(string requested, string message) : Exception(message)
{
    /// <summary>The configured name or address that could not be resolved.</summary>
    public string Requested { get; } = requested;
}

/// <summary>
/// Resolves the configured multicast interfaces (names or IPv4 addresses) against a list of interfaces.
/// Pure: the caller passes the interface list (<see cref="NetworkInterfaceSnapshot.FromSystem"/> in production).
/// </summary>
public static class MulticastInterfaceSelector
{
    /// <summary>
    /// With <paramref name="requested"/> empty: every interface that is up, multicast-capable, not
    /// loopback and has an IPv4 address (possibly none). Otherwise each entry, matched by exact name
    /// or by one of its IPv4 addresses, must be up and have an IPv4 address. Duplicates collapse.
    /// </summary>
    /// <exception cref="MulticastInterfaceUnavailableException">An entry names no usable interface; the message says which and lists what exists.</exception>
    public static IReadOnlyList<MulticastInterface> Select(
        IReadOnlyList<NetworkInterfaceSnapshot> available, IReadOnlyList<string> requested)
    {
        var selected = new List<MulticastInterface>();
        if (requested.Count == 0)
        {
            foreach (var nic in available)
            {
                if (nic.IsUp && nic.SupportsMulticast && !nic.IsLoopback && nic.Ipv4Addresses.Count > 0)
                    AddOnce(selected, ToSelection(nic, nic.Ipv4Addresses[0]));
            }

            return selected;
        }

        foreach (var entry in requested)
        {
            var wanted = entry.Trim();
            AddOnce(selected, Resolve(available, wanted));
        }

        return selected;
    }

    /// <summary>
    /// Like <see cref="Select"/>, but an entry that names no usable interface is skipped and its
    /// error returned instead of thrown: for re-checking interfaces while running, when one configured
    /// interface being down must not stop the group from being joined on the others.
    /// </summary>
    public static IReadOnlyList<MulticastInterface> SelectAvailable(
        IReadOnlyList<NetworkInterfaceSnapshot> available,
        IReadOnlyList<string> requested,
        out IReadOnlyList<MulticastInterfaceUnavailableException> unavailable)
    {
        var errors = new List<MulticastInterfaceUnavailableException>();
        unavailable = errors;
        if (requested.Count == 0) return Select(available, requested);

        var selected = new List<MulticastInterface>();
        foreach (var entry in requested)
        {
            try
            {
                AddOnce(selected, Resolve(available, entry.Trim()));
            }
            catch (MulticastInterfaceUnavailableException e)
            {
                errors.Add(e);
            }
        }

        return selected;
    }

    private static MulticastInterface Resolve(IReadOnlyList<NetworkInterfaceSnapshot> available, string wanted)
    {
        if (IPAddress.TryParse(wanted, out var address))
        {
            if (address.AddressFamily != AddressFamily.InterNetwork)
                throw new MulticastInterfaceUnavailableException(wanted, $"Multicast interface '{wanted}' is not an IPv4 address.");
            foreach (var nic in available)
            {
                var subnet = nic.Ipv4Addresses.FirstOrDefault(s => s.Address.Equals(address));
                if (subnet is null) continue;
                return nic.IsUp
                    ? ToSelection(nic, subnet)
                    : throw new MulticastInterfaceUnavailableException(wanted, $"Multicast interface '{wanted}' ({nic.Name}) is down.");
            }

            throw Unknown(available, wanted, "no interface has that address");
        }

        // Linux interface names are case-sensitive: eth0 and ETH0 may both exist.
        var named = available.FirstOrDefault(n => string.Equals(n.Name, wanted, StringComparison.Ordinal))
                    ?? throw Unknown(available, wanted, "no interface has that name");
        if (!named.IsUp)
            throw new MulticastInterfaceUnavailableException(wanted, $"Multicast interface '{wanted}' is down.");
        if (named.Ipv4Addresses.Count == 0)
            throw new MulticastInterfaceUnavailableException(wanted, $"Multicast interface '{wanted}' has no IPv4 address.");
        return ToSelection(named, named.Ipv4Addresses[0]);
    }

    private static MulticastInterfaceUnavailableException Unknown(
        IReadOnlyList<NetworkInterfaceSnapshot> available, string wanted, string reason)
    {
        var known = available.Count == 0 ? "none" : string.Join("; ", available);
        return new MulticastInterfaceUnavailableException(
            wanted, $"Unknown multicast interface '{wanted}': {reason}. Interfaces present: {known}.");
    }

    private static MulticastInterface ToSelection(NetworkInterfaceSnapshot nic, Ipv4Subnet subnet) =>
        new(nic.Name, nic.Index, subnet.Address, subnet.PrefixLength);

    private static void AddOnce(List<MulticastInterface> selected, MulticastInterface candidate)
    {
        // One join per interface: a second IP_ADD_MEMBERSHIP on the same interface fails with EADDRINUSE.
        if (!selected.Exists(s => s.Index == candidate.Index))
            selected.Add(candidate);
    }
}
