using System.Net;
using System.Net.Sockets;
using Akka.Actor;

namespace SnomActors.Transport.Udp;

/// <summary>
/// The receive hot path: one dedicated thread per socket blocked in <c>recvmsg</c> (ReceiveMessageFrom
/// with IP_PKTINFO), copying each datagram exactly and telling it to the listener. A blocking thread
/// beats async receives here: no state machine or completion per datagram, and the socket's only
/// consumer is this loop. No logging per datagram; outcomes are counted.
/// </summary>
internal sealed class UdpReceiveLoop
{
    private readonly Socket _socket;
    private readonly string _description;
    private readonly IActorRef _listener;
    private readonly IActorRef _owner;
    private readonly UdpTransportCounters _counters;
    private readonly InterfaceAddressMap _interfaces;
    private readonly JoinedInterfaces _joined;
    private readonly int _bufferBytes;
    private readonly IPAddress _fallbackLocal;
    private readonly Action<Exception> _onFault;
    private Thread? _thread;
    private volatile bool _stopping;

    public UdpReceiveLoop(
        Socket socket,
        string description,
        IActorRef listener,
        IActorRef owner,
        UdpTransportCounters counters,
        InterfaceAddressMap interfaces,
        JoinedInterfaces joined,
        int bufferBytes,
        IPAddress fallbackLocal,
        Action<Exception> onFault)
    {
        _socket = socket;
        _description = description;
        _listener = listener;
        _owner = owner;
        _counters = counters;
        _interfaces = interfaces;
        _joined = joined;
        _bufferBytes = bufferBytes;
        _fallbackLocal = fallbackLocal;
        _onFault = onFault;
    }

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "sip-udp " + _description };
        _thread.Start();
    }

    /// <summary>Marks the stop as intended; the owner then closes the socket, which unblocks the receive.</summary>
    public void Stop() => _stopping = true;

    public void Join(TimeSpan timeout) => _thread?.Join(timeout);

    private void Run()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(_bufferBytes, pinned: true);
        EndPoint anySource = new IPEndPoint(IPAddress.Any, 0);
        while (true)
        {
            var flags = SocketFlags.None;
            var source = anySource;
            int length;
            IPPacketInformation packet;
            try
            {
                length = _socket.ReceiveMessageFrom(buffer, 0, buffer.Length, ref flags, ref source, out packet);
            }
            catch (SocketException e) when (IsTransient(e.SocketErrorCode))
            {
                if (_stopping) return;
                if (e.SocketErrorCode == SocketError.MessageSize) _counters.OnTruncated();
                else _counters.OnReceiveError();
                continue;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                if (_stopping) return;
                _onFault(e);
                return;
            }

            if ((flags & SocketFlags.Truncated) != 0)
            {
                // A truncated SIP message would be parsed as a different, shorter message: drop it.
                _counters.OnTruncated();
                continue;
            }

            if (Classify((IPEndPoint)source, packet) is not { } origin)
            {
                _counters.OnForeignInterface();
                continue;
            }

            _counters.OnReceived(origin.ViaMulticast);
            _listener.Tell(new SipTransport.Received(buffer.AsSpan(0, length).ToArray(), origin), _owner);
        }
    }

    /// <summary>Where the datagram came from and how; null for a group datagram that arrived on an interface we did not join.</summary>
    private DatagramOrigin? Classify(IPEndPoint source, IPPacketInformation packet)
    {
        var index = packet.Interface;
        var destination = packet.Address;
        var value = destination is null ? 0u : Ipv4.ToUInt32(destination);
        if (value == 0)
        {
            // No IP_PKTINFO (should not happen): the interface map or the bound address is the best guess.
            return new DatagramOrigin(source, LocalAddressOf(index), index, false);
        }

        // Group (or any multicast) and broadcast destinations are "not addressed to us": the SIP core must stay silent on them.
        var group = (value >> 28) == 0xE;
        if (group && !_joined.Contains(index)) return null;
        if (group || value == uint.MaxValue)
        {
            if (!_interfaces.TryGet(index, out var arrival)) return new DatagramOrigin(source, _fallbackLocal, index, true);
            return new DatagramOrigin(source, arrival.Address, index, true, arrival.Contains(Ipv4.ToUInt32(source.Address)));
        }

        if (_interfaces.TryGet(index, out var entry) && value == entry.Broadcast && value != entry.AddressValue)
            return new DatagramOrigin(source, entry.Address, index, true, entry.Contains(Ipv4.ToUInt32(source.Address)));

        return new DatagramOrigin(source, destination!, index, false);
    }

    private IPAddress LocalAddressOf(int index) =>
        _interfaces.TryGet(index, out var entry) ? entry.Address : _fallbackLocal;

    private static bool IsTransient(SocketError error) => error is
        SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.HostUnreachable or
        SocketError.NetworkUnreachable or SocketError.MessageSize or SocketError.NoBufferSpaceAvailable;
}
