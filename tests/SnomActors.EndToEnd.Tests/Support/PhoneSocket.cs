using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace SnomActors.EndToEnd.Tests.Support;

/// <summary>One datagram a test phone received.</summary>
/// <param name="Message">The parsed SIP message.</param>
/// <param name="From">Where it came from.</param>
/// <param name="At">When it arrived, on the socket's stopwatch (taken by the receive thread, not when the test reads it).</param>
internal sealed record Arrival(WireMessage Message, IPEndPoint From, TimeSpan At);

/// <summary>
/// The test's "phone": a UDP socket (loopback, or created inside a network namespace) with
/// send, receive-with-timeout and "expect this next" helpers.
/// </summary>
/// <remarks>
/// A dedicated thread receives and stamps every datagram as it comes: the retransmission tests
/// compare arrival times, and stamping when the test gets round to reading made two datagrams
/// 0.5 s apart look simultaneous whenever the test host stalled in between (a CI run on a loaded
/// box measured 82 µs between a NOTIFY and its Timer E copy).
/// </remarks>
internal sealed class PhoneSocket : IDisposable
{
    private readonly Socket _socket;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Channel<(byte[] Data, IPEndPoint From, TimeSpan At)> _arrivals =
        Channel.CreateUnbounded<(byte[], IPEndPoint, TimeSpan)>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });

    /// <summary>Wraps an unbound UDP socket and binds it to <paramref name="bindTo"/>.</summary>
    public PhoneSocket(Socket socket, IPEndPoint bindTo)
    {
        _socket = socket;
        _socket.Bind(bindTo);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        new Thread(ReceiveLoop) { IsBackground = true, Name = $"test-phone-{LocalEndPoint.Port}" }.Start();
    }

    private void ReceiveLoop()
    {
        var buffer = new byte[65_536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (true)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(buffer, SocketFlags.None, ref any);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset)
            {
                continue; // an ICMP error for an earlier send of ours
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                _arrivals.Writer.TryComplete();
                return; // disposed
            }
            _arrivals.Writer.TryWrite((buffer[..length], (IPEndPoint)any, _clock.Elapsed));
        }
    }

    /// <summary>A phone on 127.0.0.1 with a port the kernel picks.</summary>
    public static PhoneSocket OnLoopback() =>
        new(new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp), new IPEndPoint(IPAddress.Loopback, 0));

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Time since the socket was created (the clock of <see cref="Arrival.At"/>).</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>The underlying socket (socket options).</summary>
    public Socket Socket => _socket;

    public void Send(string datagram, IPEndPoint to) => Send(Encoding.UTF8.GetBytes(datagram), to);

    public void Send(byte[] datagram, IPEndPoint to) => _socket.SendTo(datagram, SocketFlags.None, to);

    /// <summary>The next datagram, or null after <paramref name="timeout"/>.</summary>
    public async Task<Arrival?> ReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var (data, from, at) = await _arrivals.Reader.ReadAsync(cts.Token);
            return new Arrival(WireMessage.Parse(data), from, at);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>The next datagram; fails the test naming <paramref name="what"/> if none comes within <paramref name="timeout"/>.</summary>
    public async Task<Arrival> ExpectAsync(string what, TimeSpan timeout, Func<string>? context = null) =>
        await ReceiveAsync(timeout)
        ?? throw new Xunit.Sdk.XunitException($"expected {what} within {timeout.TotalSeconds:0.#} s, nothing arrived at {LocalEndPoint}"
            + (context is null ? "" : "\n" + context()));

    /// <summary>Every datagram arriving within <paramref name="window"/>.</summary>
    public async Task<List<Arrival>> CollectAsync(TimeSpan window)
    {
        var arrivals = new List<Arrival>();
        var end = _clock.Elapsed + window;
        while (_clock.Elapsed < end)
        {
            var next = await ReceiveAsync(end - _clock.Elapsed);
            if (next is null) break;
            arrivals.Add(next);
        }
        return arrivals;
    }

    /// <summary>Answers a request the daemon sent us (a NOTIFY) with a final response, as a phone does: to the request's source.</summary>
    public void Answer(Arrival request, int status = 200, string reason = "OK")
    {
        var m = request.Message;
        var sb = new StringBuilder();
        sb.Append("SIP/2.0 ").Append(status).Append(' ').Append(reason).Append("\r\n");
        foreach (var via in m.AllHeaders("Via")) sb.Append("Via: ").Append(via).Append("\r\n");
        sb.Append("From: ").Append(m.Header("From")).Append("\r\n");
        sb.Append("To: ").Append(m.Header("To")).Append("\r\n");
        sb.Append("Call-ID: ").Append(m.CallId).Append("\r\n");
        sb.Append("CSeq: ").Append(m.Header("CSeq")).Append("\r\n");
        sb.Append("Content-Length: 0\r\n\r\n");
        Send(sb.ToString(), request.From);
    }

    public void Dispose() => _socket.Dispose();
}
