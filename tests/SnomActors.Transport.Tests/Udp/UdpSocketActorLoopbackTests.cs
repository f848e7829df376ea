using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using SnomActors.Transport.Udp;
using Xunit.Abstractions;

namespace SnomActors.Transport.Tests.Udp;

/// <summary>The socket actor on real loopback sockets, multicast off (never join a group in the machine's own namespace).</summary>
public sealed class UdpSocketActorLoopbackTests(ITestOutputHelper output) : TestKit(output: output), IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private readonly Socket _phone = LoopbackClient();
    private readonly UdpTransportCounters _counters = new();

    private static UdpTransportOptions LoopbackOptions(int port = 0) => new()
    {
        BindAddress = IPAddress.Loopback,
        Port = port,
        EnableMulticast = false,
        ReceiveBufferBytes = 256 * 1024,
    };

    [Fact]
    public void A_unicast_datagram_reaches_the_listener_with_its_source_and_not_via_multicast()
    {
        var (_, bound) = Start(LoopbackOptions());
        var datagram = Encoding.ASCII.GetBytes("SUBSCRIBE sip:MAC%3a000413000001@127.0.0.1 SIP/2.0\r\n\r\n");

        _phone.SendTo(datagram, bound);

        var received = ExpectMsg<SipTransport.Received>(Wait);
        Assert.Equal(datagram, received.Data);
        Assert.Equal(_phone.LocalEndPoint, received.Origin.Source);
        Assert.False(received.Origin.ViaMulticast);
        Assert.Equal(IPAddress.Loopback, received.Origin.LocalAddress);
        Assert.Equal(LoopbackIndex(), received.Origin.InterfaceIndex);
        Assert.Equal(1, _counters.DatagramsReceivedUnicast);
        Assert.Equal(0, _counters.DatagramsReceivedMulticast);
    }

    [Fact]
    public void A_send_reaches_its_destination_from_the_transport_port()
    {
        var (transport, bound) = Start(LoopbackOptions());
        var reply = Encoding.ASCII.GetBytes("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");

        transport.Tell(new SipTransport.Send(reply, (IPEndPoint)_phone.LocalEndPoint!, IPAddress.Loopback));

        var (data, from) = ReceiveOn(_phone);
        Assert.Equal(reply, data);
        Assert.Equal(bound, from);
        AwaitCondition(() => _counters.DatagramsSent == 1, Wait);
    }

    [Fact]
    public void A_65000_byte_datagram_arrives_whole_and_byte_exact()
    {
        var (_, bound) = Start(LoopbackOptions());
        var datagram = new byte[65_000];
        new Random(75).NextBytes(datagram);

        _phone.SendTo(datagram, bound);

        var received = ExpectMsg<SipTransport.Received>(Wait);
        Assert.Equal(65_000, received.Data.Length);
        Assert.True(datagram.AsSpan().SequenceEqual(received.Data));
    }

    [Fact]
    public void Each_datagram_gets_its_own_copy_of_the_bytes()
    {
        var (_, bound) = Start(LoopbackOptions());

        _phone.SendTo("first datagram"u8.ToArray(), bound);
        _phone.SendTo("second"u8.ToArray(), bound);

        var first = ExpectMsg<SipTransport.Received>(Wait);
        var second = ExpectMsg<SipTransport.Received>(Wait);
        Assert.Equal("first datagram", Encoding.ASCII.GetString(first.Data));
        Assert.Equal("second", Encoding.ASCII.GetString(second.Data));
    }

    [Fact]
    public void A_datagram_longer_than_the_receive_buffer_is_dropped_and_counted_never_delivered_truncated()
    {
        var (_, bound) = Start(LoopbackOptions() with { DatagramBufferBytes = 1000 });

        _phone.SendTo(new byte[2000], bound);
        _phone.SendTo("fits"u8.ToArray(), bound);

        var received = ExpectMsg<SipTransport.Received>(Wait);
        Assert.Equal("fits", Encoding.ASCII.GetString(received.Data));
        Assert.Equal(1, _counters.TruncatedDropped);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_failing_send_is_counted_and_the_transport_keeps_working()
    {
        var (transport, _) = Start(LoopbackOptions());

        transport.Tell(new SipTransport.Send("lost"u8.ToArray(), new IPEndPoint(IPAddress.IPv6Loopback, 5060), null));
        transport.Tell(new SipTransport.Send("delivered"u8.ToArray(), (IPEndPoint)_phone.LocalEndPoint!, null));

        Assert.Equal("delivered", Encoding.ASCII.GetString(ReceiveOn(_phone).Data));
        // The actor counts after SendTo returns, so the datagram can be read before the counter moves.
        AwaitCondition(() => _counters.DatagramsSent == 1, Wait);
        Assert.Equal(1, _counters.SendErrors);
    }

    [Fact]
    public void After_the_socket_is_closed_underneath_the_backoff_supervisor_recreates_it_and_the_same_ref_works_again()
    {
        var port = FreeLoopbackPort();
        var options = LoopbackOptions(port) with { RestartMinBackoff = TimeSpan.FromMilliseconds(200), RestartMaxBackoff = TimeSpan.FromSeconds(1) };
        var transport = Sys.ActorOf(UdpSocketActor.PropsWithBackoff(options, TestActor, _counters), "udp");
        var first = ExpectMsg<SipTransport.Bound>(Wait);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, port)], first.LocalEndpoints);
        Assert.Empty(first.MulticastInterfaces);
        _phone.SendTo("before"u8.ToArray(), first.LocalEndpoints[0]);
        Assert.Equal("before", Encoding.ASCII.GetString(ExpectMsg<SipTransport.Received>(Wait).Data));

        transport.Tell(UdpSocketActor.CloseSocketUnderneath.Instance);

        var second = ExpectMsg<SipTransport.Bound>(Wait);
        Assert.Equal(first.LocalEndpoints, second.LocalEndpoints);
        Assert.Equal(1, _counters.SocketFaults);
        Assert.Equal(1, _counters.Rebinds);
        _phone.SendTo("after"u8.ToArray(), second.LocalEndpoints[0]);
        Assert.Equal("after", Encoding.ASCII.GetString(ExpectMsg<SipTransport.Received>(Wait).Data));
        transport.Tell(new SipTransport.Send("reply"u8.ToArray(), (IPEndPoint)_phone.LocalEndPoint!, null));
        var (data, from) = ReceiveOn(_phone);
        Assert.Equal("reply", Encoding.ASCII.GetString(data));
        Assert.Equal(second.LocalEndpoints[0], from);
    }

    [Fact]
    public void The_bind_is_retried_while_the_port_is_taken_and_sends_made_meanwhile_go_out_once_bound()
    {
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)squatter.LocalEndPoint!).Port;
        var options = LoopbackOptions(port) with
        {
            BindRetryAttempts = 50,
            BindRetryDelay = TimeSpan.FromMilliseconds(100),
            BindRetryMaxDelay = TimeSpan.FromMilliseconds(200),
        };
        var transport = Sys.ActorOf(UdpSocketActor.PropsWithBackoff(options, TestActor, _counters));
        transport.Tell(new SipTransport.Send("queued while binding"u8.ToArray(), (IPEndPoint)_phone.LocalEndPoint!, null));

        ExpectNoMsg(TimeSpan.FromSeconds(1));
        Assert.True(_counters.BindFailures >= 3, $"only {_counters.BindFailures} bind failures while the port was taken");
        squatter.Close();

        var bound = ExpectMsg<SipTransport.Bound>(Wait);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), bound.LocalEndpoints[0]);
        var (data, from) = ReceiveOn(_phone);
        Assert.Equal("queued while binding", Encoding.ASCII.GetString(data));
        Assert.Equal(bound.LocalEndpoints[0], from);
        _phone.SendTo("works"u8.ToArray(), bound.LocalEndpoints[0]);
        Assert.Equal("works", Encoding.ASCII.GetString(ExpectMsg<SipTransport.Received>(Wait).Data));
        Assert.Equal(0, _counters.Rebinds);
    }

    [Fact]
    public void When_the_bind_retries_are_exhausted_the_backoff_supervisor_keeps_recreating_the_actor_until_it_binds()
    {
        var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)squatter.LocalEndPoint!).Port;
        var options = LoopbackOptions(port) with
        {
            BindRetryAttempts = 1,
            BindRetryDelay = TimeSpan.FromMilliseconds(50),
            BindRetryMaxDelay = TimeSpan.FromMilliseconds(50),
            RestartMinBackoff = TimeSpan.FromMilliseconds(100),
            RestartMaxBackoff = TimeSpan.FromMilliseconds(200),
        };
        Sys.ActorOf(UdpSocketActor.PropsWithBackoff(options, TestActor, _counters));

        ExpectNoMsg(TimeSpan.FromMilliseconds(800));
        // Each incarnation fails twice (first try and one retry); more than two failures means it was recreated.
        Assert.True(_counters.BindFailures > 2, $"only {_counters.BindFailures} bind failures");
        squatter.Dispose();

        var bound = ExpectMsg<SipTransport.Bound>(Wait);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), bound.LocalEndpoints[0]);
    }

    [Fact]
    public void A_second_transport_on_a_bound_port_is_refused_rather_than_sharing_the_unicast_traffic()
    {
        var (_, bound) = Start(LoopbackOptions());
        var secondCounters = new UdpTransportCounters();
        var options = LoopbackOptions(bound.Port) with
        {
            BindRetryAttempts = 20,
            BindRetryDelay = TimeSpan.FromMilliseconds(50),
            BindRetryMaxDelay = TimeSpan.FromMilliseconds(50),
        };
        var second = CreateTestProbe();
        Sys.ActorOf(UdpSocketActor.PropsWithBackoff(options, second.Ref, secondCounters));

        AwaitCondition(() => secondCounters.BindFailures >= 2, Wait, TimeSpan.FromMilliseconds(20));
        second.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(0, secondCounters.Binds);

        // Every unicast datagram still reaches the first.
        _phone.SendTo("still mine"u8.ToArray(), bound);
        Assert.Equal("still mine", Encoding.ASCII.GetString(ExpectMsg<SipTransport.Received>(Wait).Data));
    }

    [Fact]
    public void Stopping_the_actor_closes_its_socket_so_the_port_can_be_bound_exclusively_again()
    {
        var (transport, bound) = Start(LoopbackOptions());

        Watch(transport);
        Sys.Stop(transport);
        ExpectTerminated(transport, Wait);

        using var exclusive = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        exclusive.Bind(bound);
    }

    private (IActorRef Transport, IPEndPoint Bound) Start(UdpTransportOptions options)
    {
        var transport = Sys.ActorOf(UdpSocketActor.Props(options, TestActor, _counters));
        var bound = ExpectMsg<SipTransport.Bound>(Wait);
        return (transport, Assert.Single(bound.LocalEndpoints));
    }

    private static Socket LoopbackClient()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private static (byte[] Data, IPEndPoint From) ReceiveOn(Socket socket)
    {
        var buffer = new byte[65_535];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        var length = socket.ReceiveFrom(buffer, ref from);
        return (buffer[..length], (IPEndPoint)from);
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static int LoopbackIndex() => NetworkInterfaceSnapshot.FromSystem().Single(n => n.IsLoopback).Index;

    void IDisposable.Dispose()
    {
        _phone.Dispose();
        Dispose();
    }
}
