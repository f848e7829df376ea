namespace SnomActors.Transport.Udp;

/// <summary>
/// Monotonic counters of the UDP transport, shared by every incarnation of the socket actor so that
/// they survive its recreation; exported as metrics. Thread-safe: the receive threads and the actor
/// increment them concurrently.
/// </summary>
public sealed class UdpTransportCounters
{
    private long _receivedUnicast;
    private long _receivedMulticast;
    private long _sent;
    private long _sendErrors;
    private long _receiveErrors;
    private long _truncatedDropped;
    private long _binds;
    private long _bindFailures;
    private long _socketFaults;
    private long _rejoins;
    private long _foreignGroupDropped;

    /// <summary>Datagrams received addressed to one of our unicast addresses.</summary>
    public long DatagramsReceivedUnicast => Interlocked.Read(ref _receivedUnicast);

    /// <summary>Datagrams received addressed to the multicast group (or a broadcast address).</summary>
    public long DatagramsReceivedMulticast => Interlocked.Read(ref _receivedMulticast);

    /// <summary>Datagrams handed to the kernel successfully.</summary>
    public long DatagramsSent => Interlocked.Read(ref _sent);

    /// <summary>Sends that failed (unreachable host or network, ICMP-induced errors, oversize, socket closed).</summary>
    public long SendErrors => Interlocked.Read(ref _sendErrors);

    /// <summary>Transient receive errors that were skipped (e.g. an ICMP error queued on the socket).</summary>
    public long ReceiveErrors => Interlocked.Read(ref _receiveErrors);

    /// <summary>Datagrams dropped because they did not fit the receive buffer (never delivered truncated).</summary>
    public long TruncatedDropped => Interlocked.Read(ref _truncatedDropped);

    /// <summary>Successful binds, the first one included.</summary>
    public long Binds => Interlocked.Read(ref _binds);

    /// <summary>Binds after the first one, i.e. how often the socket was recreated.</summary>
    public long Rebinds => Math.Max(0, Binds - 1);

    /// <summary>Bind attempts that failed, retried ones included.</summary>
    public long BindFailures => Interlocked.Read(ref _bindFailures);

    /// <summary>Receive loops that ended with a socket fault (each one recreates the socket actor).</summary>
    public long SocketFaults => Interlocked.Read(ref _socketFaults);

    /// <summary>Group joins made after the bind, on interfaces that appeared or were recreated.</summary>
    public long MulticastRejoins => Interlocked.Read(ref _rejoins);

    /// <summary>
    /// Group datagrams dropped because they arrived on an interface the group was not joined on by
    /// this daemon (another program or daemon instance joined it there).
    /// </summary>
    public long ForeignInterfaceDropped => Interlocked.Read(ref _foreignGroupDropped);

    internal void OnReceived(bool viaMulticast)
    {
        if (viaMulticast) Interlocked.Increment(ref _receivedMulticast);
        else Interlocked.Increment(ref _receivedUnicast);
    }

    internal void OnSent() => Interlocked.Increment(ref _sent);
    internal void OnSendError() => Interlocked.Increment(ref _sendErrors);
    internal void OnReceiveError() => Interlocked.Increment(ref _receiveErrors);
    internal void OnTruncated() => Interlocked.Increment(ref _truncatedDropped);
    internal void OnBound() => Interlocked.Increment(ref _binds);
    internal void OnBindFailure() => Interlocked.Increment(ref _bindFailures);
    internal void OnSocketFault() => Interlocked.Increment(ref _socketFaults);
    internal void OnRejoin() => Interlocked.Increment(ref _rejoins);
    internal void OnForeignInterface() => Interlocked.Increment(ref _foreignGroupDropped);
}
