using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using SnomActors.Transport;

namespace SnomActors.Simulator.Udp;

/// <summary>Settings of one simulator socket.</summary>
/// <param name="Bind">Local address and port (port 0 = ephemeral).</param>
/// <param name="ReceiveBufferBytes">SO_RCVBUF: large, so a storm of 200s and NOTIFYs queues in the kernel instead of being dropped.</param>
/// <param name="MulticastInterface">Interface address for datagrams to 224.0.1.75 (IP_MULTICAST_IF), or null for the routing table's choice.</param>
public sealed record UdpPhoneTransportOptions(IPEndPoint Bind, int ReceiveBufferBytes = 8 * 1024 * 1024, IPAddress? MulticastInterface = null)
{
    /// <summary>SO_SNDBUF.</summary>
    public int SendBufferBytes { get; init; } = 4 * 1024 * 1024;
}

/// <summary>
/// The simulator's side of real UDP: one socket shared by thousands of simulated phones. A dedicated
/// thread receives (blocking <c>ReceiveFrom</c> into a 64 KiB buffer) and tells the listener; sends
/// are synchronous <c>SendTo</c> calls from the actor. Phones never join the multicast group, so
/// this is far simpler than the daemon's socket actor.
/// </summary>
public sealed class UdpPhoneTransport : UntypedActor
{
    private readonly UdpPhoneTransportOptions _options;
    private readonly IActorRef _listener;
    private readonly UdpPhoneTransportCounters _counters;
    private Socket? _socket;
    private Thread? _receiver;

    /// <summary>Use <see cref="Props"/>.</summary>
    public UdpPhoneTransport(UdpPhoneTransportOptions options, IActorRef listener, UdpPhoneTransportCounters counters)
    {
        _options = options;
        _listener = listener;
        _counters = counters;
    }

    /// <summary>Props of a socket actor delivering to <paramref name="listener"/>.</summary>
    public static Props Props(UdpPhoneTransportOptions options, IActorRef listener, UdpPhoneTransportCounters? counters = null) =>
        Akka.Actor.Props.Create<UdpPhoneTransport>(options, listener, counters ?? new UdpPhoneTransportCounters());

    /// <inheritdoc />
    protected override void PreStart()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = _options.ReceiveBufferBytes,
            SendBufferSize = _options.SendBufferBytes,
        };
        try
        {
            socket.Bind(_options.Bind);
            if (_options.MulticastInterface is { } iface)
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, iface.GetAddressBytes());
            // RFC 3261 §18.1.1: multicast requests SHOULD use TTL 1 (stay on the LAN).
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 1);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _socket = socket;
        var local = (IPEndPoint)socket.LocalEndPoint!;
        var listener = _listener;
        var counters = _counters;
        _receiver = new Thread(() => ReceiveLoop(socket, local, listener, counters))
        {
            IsBackground = true,
            Name = $"sim-udp-{local.Port}",
        };
        _receiver.Start();
        _listener.Tell(new SipTransport.Bound([local], []));
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        // Closing the socket ends the blocking receive with a SocketException / ObjectDisposedException.
        _socket?.Dispose();
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        if (message is not SipTransport.Send send)
        {
            Unhandled(message);
            return;
        }
        try
        {
            _socket!.SendTo(send.Data.Span, SocketFlags.None, send.Destination);
            _counters.Sent();
        }
        catch (SocketException)
        {
            // ICMP port unreachable, no route, buffer full: to SIP this is a lost datagram.
            _counters.SendFailed();
        }
    }

    private static void ReceiveLoop(Socket socket, IPEndPoint local, IActorRef listener, UdpPhoneTransportCounters counters)
    {
        var buffer = new byte[65_535];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (true)
        {
            int length;
            try
            {
                length = socket.ReceiveFrom(buffer, SocketFlags.None, ref any);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                // Linux reports an earlier send's ICMP error on the next receive; keep going.
                continue;
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return; // closed in PostStop
            }
            counters.Received();
            var data = buffer.AsSpan(0, length).ToArray();
            var source = (IPEndPoint)any;
            listener.Tell(new SipTransport.Received(data, new DatagramOrigin(new IPEndPoint(source.Address, source.Port), local.Address, 0, false)));
        }
    }
}

/// <summary>Thread-safe counters of the simulator's sockets.</summary>
public sealed class UdpPhoneTransportCounters
{
    private long _sent, _sendFailed, _received;

    /// <summary>Datagrams handed to the kernel.</summary>
    public long DatagramsSent => Interlocked.Read(ref _sent);

    /// <summary>Sends the kernel refused.</summary>
    public long SendErrors => Interlocked.Read(ref _sendFailed);

    /// <summary>Datagrams received.</summary>
    public long DatagramsReceived => Interlocked.Read(ref _received);

    internal void Sent() => Interlocked.Increment(ref _sent);

    internal void SendFailed() => Interlocked.Increment(ref _sendFailed);

    internal void Received() => Interlocked.Increment(ref _received);
}

/// <summary>Creates a <see cref="UdpPhoneTransport"/> for a phone farm.</summary>
public sealed record UdpPhoneTransportFactory(UdpPhoneTransportOptions Options, UdpPhoneTransportCounters Counters) : ITransportFactory
{
    /// <inheritdoc />
    public Props CreateProps(IActorRef listener) => UdpPhoneTransport.Props(Options, listener, Counters);
}
