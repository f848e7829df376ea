using System.Net;
using System.Net.Sockets;
using System.Text;
using SnomActors.Sip.Building;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Parsing;

namespace SnomActors.Server.Tests.Overload;

/// <summary>
/// A test "phone" on 127.0.0.1: a plain UDP socket that sends snom-style PnP SUBSCRIBEs, receives
/// and parses what the daemon sends back, and answers NOTIFYs with 200. One receiver at a time.
/// </summary>
internal sealed class StormPhone : IDisposable
{
    private const int SoRcvBufForce = 33;
    private const int ReceiveBufferBytes = 4 * 1024 * 1024;

    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly byte[] _buffer = new byte[65_535];

    private StormPhone()
    {
        // Large, so that a burst of 503s queues in the kernel instead of being dropped before the
        // receive loop reads it (SO_RCVBUFFORCE lifts net.core.rmem_max where we may; else capped).
        _socket.ReceiveBufferSize = ReceiveBufferBytes;
        if (OperatingSystem.IsLinux())
        {
            try
            {
                _socket.SetRawSocketOption((int)SocketOptionLevel.Socket, SoRcvBufForce, BitConverter.GetBytes(ReceiveBufferBytes));
            }
            catch (SocketException)
            {
                // Not privileged: the capped SO_RCVBUF stays.
            }
        }
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Local = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public static StormPhone Bind() => new();

    public IPEndPoint Local { get; }

    /// <summary>A valid ua-profile SUBSCRIBE (snom 360 shape) for <paramref name="mac"/>, Via and Contact this socket.</summary>
    public byte[] Subscribe(string mac, string callId, IPEndPoint server)
    {
        var upper = mac.ToUpperInvariant();
        var uri = $"sip:MAC%3a{upper}@{server.Address}";
        var sb = new StringBuilder(600);
        sb.Append("SUBSCRIBE ").Append(uri).Append(" SIP/2.0\r\n");
        sb.Append("Via: SIP/2.0/UDP ").Append(Local.Address).Append(':').Append(Local.Port).Append(";branch=z9hG4bK").Append(Guid.NewGuid().ToString("N")).Append(";rport\r\n");
        sb.Append("From: <").Append(uri).Append(">;tag=").Append(Random.Shared.Next(1, int.MaxValue)).Append("\r\n");
        sb.Append("To: <").Append(uri).Append(">\r\n");
        sb.Append("Call-ID: ").Append(callId).Append("\r\n");
        sb.Append("CSeq: 1 SUBSCRIBE\r\n");
        sb.Append("Event: ua-profile;profile-type=\"device\";vendor=\"snom\";model=\"snom360\";version=\"8.7.5\"\r\n");
        sb.Append("Expires: 0\r\n");
        sb.Append("Accept: application/url\r\n");
        sb.Append("Contact: <sip:").Append(Local.Address).Append(':').Append(Local.Port).Append(">\r\n");
        sb.Append("User-Agent: snom360/8.7.5\r\n");
        sb.Append("Content-Length: 0\r\n\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    public void Send(byte[] datagram, IPEndPoint to) => _socket.SendTo(datagram, SocketFlags.None, to);

    /// <summary>The next datagram, parsed; null after <paramref name="timeout"/>. Anything unparseable fails the test.</summary>
    public async Task<(SipMessage Message, IPEndPoint From)?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellation = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (timeout != Timeout.InfiniteTimeSpan) limit.CancelAfter(timeout);
        SocketReceiveFromResult result;
        try
        {
            result = await _socket.ReceiveFromAsync(_buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), limit.Token);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return null;
        }
        if (!SipParser.TryParse(_buffer.AsSpan(0, result.ReceivedBytes), out var message, out var error))
            throw new Xunit.Sdk.XunitException($"unparseable datagram from the daemon: {error}");
        return (message!, (IPEndPoint)result.RemoteEndPoint);
    }

    /// <summary>The phone's 200 to a NOTIFY, sent back to where it came from.</summary>
    public void Answer(SipRequest notify, IPEndPoint from) =>
        Send(SipResponseBuilder.Build(notify, from, 200, toTag: null), from);

    public void Dispose() => _socket.Dispose();
}
