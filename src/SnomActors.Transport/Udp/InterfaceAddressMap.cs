using System.Net;

namespace SnomActors.Transport.Udp;

/// <summary>
/// Interface index → its primary IPv4 address, read by the receive threads for every group
/// datagram (IP_PKTINFO only gives the index and the group as destination). Refreshed, at most
/// every few seconds, when a datagram arrives on an index it does not know (an interface that came
/// up, or was renumbered, after the bind).
/// </summary>
internal sealed class InterfaceAddressMap
{
    internal readonly record struct Entry(IPAddress Address, uint AddressValue, uint Broadcast, uint Mask)
    {
        /// <summary>True when <paramref name="source"/> is in this interface's subnet.</summary>
        public bool Contains(uint source) => (source & Mask) == (AddressValue & Mask);
    }

    private static readonly long RefreshIntervalMs = 5_000;

    private readonly Func<IReadOnlyList<NetworkInterfaceSnapshot>> _source;
    private volatile Dictionary<int, Entry> _entries;
    private long _nextRefreshAt;

    public InterfaceAddressMap(IReadOnlyList<NetworkInterfaceSnapshot> initial, Func<IReadOnlyList<NetworkInterfaceSnapshot>> source)
    {
        _source = source;
        _entries = Build(initial);
        _nextRefreshAt = Environment.TickCount64 + RefreshIntervalMs;
    }

    public bool TryGet(int index, out Entry entry)
    {
        if (_entries.TryGetValue(index, out entry)) return true;
        RefreshIfDue();
        return _entries.TryGetValue(index, out entry);
    }

    /// <summary>Replaces the map with a fresh interface list (the actor's interface watch has one anyway).</summary>
    public void Update(IReadOnlyList<NetworkInterfaceSnapshot> interfaces) => _entries = Build(interfaces);

    private void RefreshIfDue()
    {
        var due = Interlocked.Read(ref _nextRefreshAt);
        var now = Environment.TickCount64;
        // One thread wins the refresh; a flood on an unknown index costs one lookup per interval.
        if (now < due || Interlocked.CompareExchange(ref _nextRefreshAt, now + RefreshIntervalMs, due) != due) return;
        try
        {
            _entries = Build(_source());
        }
        catch (Exception)
        {
            // Keep the old map: a failed refresh must not cost the datagram, only its local address.
        }
    }

    private static Dictionary<int, Entry> Build(IReadOnlyList<NetworkInterfaceSnapshot> interfaces)
    {
        var entries = new Dictionary<int, Entry>();
        foreach (var nic in interfaces)
        {
            if (nic.Index < 0 || nic.Ipv4Addresses.Count == 0) continue;
            var primary = nic.Ipv4Addresses[0];
            var value = Ipv4.ToUInt32(primary.Address);
            var mask = primary.PrefixLength <= 0 ? 0u : uint.MaxValue << (32 - Math.Min(32, primary.PrefixLength));
            entries.TryAdd(nic.Index, new Entry(primary.Address, value, Ipv4.Broadcast(value, primary.PrefixLength), mask));
        }

        return entries;
    }
}
