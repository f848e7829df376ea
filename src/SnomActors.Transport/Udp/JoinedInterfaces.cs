namespace SnomActors.Transport.Udp;

/// <summary>
/// The interface indexes the group is joined on, written by the socket actor when it joins or leaves
/// and read by the receive threads for every group datagram: a datagram for the group that arrives
/// on any other interface was meant for somebody else on this host and is dropped.
/// </summary>
internal sealed class JoinedInterfaces
{
    private volatile int[] _indexes = [];

    public void Set(IEnumerable<MulticastInterface> joined) => _indexes = joined.Select(j => j.Index).Distinct().ToArray();

    public bool Contains(int index)
    {
        // A handful of interfaces at most: a linear scan of a snapshot beats any set.
        foreach (var joined in _indexes)
        {
            if (joined == index) return true;
        }

        return false;
    }
}
