using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using SnomActors.Server.Actors;
using SnomActors.Server.Config;
using SnomActors.Server.Metrics;
using SnomActors.Server.Overload;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Parsing;
using SnomActors.Transport;
using SnomActors.Transport.Udp;

namespace SnomActors.Server.Tests;

/// <summary>
/// Issue 2 item 3: "a socket failure recreates it without losing dialogs in flight". The router runs
/// with its real UDP transport on 127.0.0.1; the socket is closed under it between the NOTIFY and its
/// Timer E retransmissions; the back-off supervisor binds a new one on the same port, and the
/// dialog's next retransmission reaches the phone through it.
/// </summary>
[Collection(Overload.WallClockCollection.Name)]
public sealed class SocketFaultOverUdpTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly PnpMetrics _metrics = new();
    private readonly UdpTransportCounters _counters = new();
    private ActorSystem _daemon = null!;
    private IActorRef _router = ActorRefs.Nobody;
    private IPEndPoint _server = null!;

    public async Task InitializeAsync()
    {
        _daemon = ActorSystem.Create("daemon", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        // A fixed port: the recreated socket binds the same one, as the daemon's 5060 would.
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        var udp = new UdpTransportOptions
        {
            BindAddress = IPAddress.Loopback,
            Port = port,
            EnableMulticast = false,
            RestartMinBackoff = TimeSpan.FromMilliseconds(100),
            RestartMaxBackoff = TimeSpan.FromMilliseconds(200),
        };
        var options = new PnpOptions { ServerHost = "127.0.0.1", RateLimits = new RateLimitOptions(PerSourcePerSecond: 0) };
        _router = _daemon.ActorOf(DialogRouter.Props(options, new UdpTransportFactory(udp, _counters), _metrics), "router");
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                _server = (await _router.Ask<SipTransport.Bound>(DialogRouter.GetBinding.Instance, TimeSpan.FromSeconds(5))).LocalEndpoints[0];
                return;
            }
            catch (InvalidOperationException) when (deadline.Elapsed < Wait)
            {
                await Task.Delay(50); // "transport not bound yet"
            }
        }
    }

    public async Task DisposeAsync() => await _daemon.Terminate();

    [Fact]
    public async Task A_NOTIFY_retransmitted_after_the_socket_was_recreated_reaches_the_phone_and_the_dialog_completes()
    {
        using var phone = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        phone.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var phoneEndpoint = (IPEndPoint)phone.LocalEndPoint!;
        phone.SendTo(Encoding.ASCII.GetBytes(Subscribe(phoneEndpoint)), _server);

        Assert.Equal(200, Assert.IsType<SipResponse>(await ReceiveAsync(phone)).StatusCode);
        var notify = Assert.IsType<SipRequest>(await ReceiveAsync(phone));
        Assert.Equal(SipMethods.Notify, notify.Method);

        // Fault the socket under the transport while the NOTIFY is unanswered.
        _daemon.ActorSelection(_router.Path / "transport").Tell(UdpSocketActor.CloseSocketUnderneath.Instance);
        var watch = Stopwatch.StartNew();
        while (_counters.Rebinds < 1 && watch.Elapsed < Wait) await Task.Delay(20);
        Assert.Equal(1, _counters.SocketFaults);
        Assert.Equal(1, _counters.Rebinds);

        // Copies the old socket sent are already here (loopback delivers within sendto): drop them, so
        // that the next one can only have left through the new socket. Copies sent while no socket was
        // bound are lost, as on a real network; Timer E sends the next one.
        while (phone.Available > 0) await ReceiveAsync(phone);
        var copy = Assert.IsType<SipRequest>(await ReceiveAsync(phone));
        Assert.Equal(SipMethods.Notify, copy.Method);
        Assert.Equal(notify.TopVia.Branch, copy.TopVia.Branch); // the same client transaction
        Assert.Equal(notify.CallId, copy.CallId);

        phone.SendTo(Answer(copy), _server);
        watch.Restart();
        while (_metrics.DialogsCompleted < 1 && watch.Elapsed < Wait) await Task.Delay(20);
        Assert.Equal(1, _metrics.DialogsStarted);
        Assert.Equal(1, _metrics.DialogsCompleted);
        Assert.Equal(0, _metrics.DialogsCrashed);
        Assert.Equal(0, _metrics.NotifyTimeouts);
        Assert.Equal(0, _metrics.LiveDialogs);
    }

    private static async Task<SipMessage> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[65_535];
        using var cts = new CancellationTokenSource(Wait);
        var result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
        Assert.True(SipParser.TryParse(buffer.AsSpan(0, result.ReceivedBytes), out var message, out var error), error?.ToString());
        return message!;
    }

    private static string Subscribe(IPEndPoint phone) =>
        $"SUBSCRIBE sip:MAC%3a000413AA0001@224.0.1.75 SIP/2.0\r\n" +
        $"Via: SIP/2.0/UDP {phone.Address}:{phone.Port};branch=z9hG4bK{Guid.NewGuid():N};rport\r\n" +
        "From: <sip:MAC%3a000413AA0001@224.0.1.75>;tag=4711\r\n" +
        "To: <sip:MAC%3a000413AA0001@224.0.1.75>\r\n" +
        $"Call-ID: fault-{Guid.NewGuid():N}@127.0.0.1\r\n" +
        "CSeq: 1 SUBSCRIBE\r\n" +
        "Event: ua-profile;profile-type=\"device\";vendor=\"snom\";model=\"snom360\";version=\"8.7.5\"\r\n" +
        "Expires: 0\r\n" +
        "Accept: application/url\r\n" +
        $"Contact: <sip:{phone.Address}:{phone.Port}>\r\n" +
        "Content-Length: 0\r\n\r\n";

    /// <summary>The phone's 200 to <paramref name="notify"/>: its Vias, From, To, Call-ID and CSeq echoed.</summary>
    private static byte[] Answer(SipRequest notify)
    {
        var sb = new StringBuilder("SIP/2.0 200 OK\r\n");
        foreach (var via in notify.Vias) sb.Append("Via: ").Append(via.Raw).Append("\r\n");
        sb.Append("From: ").Append(notify.From.Raw).Append("\r\n");
        sb.Append("To: ").Append(notify.To.Raw).Append("\r\n");
        sb.Append("Call-ID: ").Append(notify.CallId).Append("\r\n");
        sb.Append("CSeq: ").Append(notify.CSeq.Number).Append(" NOTIFY\r\n");
        sb.Append("Content-Length: 0\r\n\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }
}
