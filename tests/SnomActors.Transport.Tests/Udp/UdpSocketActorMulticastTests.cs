using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using SnomActors.Tests.Shared;
using SnomActors.Transport.Udp;
using Xunit.Abstractions;

namespace SnomActors.Transport.Tests.Udp;

/// <summary>
/// Multicast end to end inside network namespaces this test creates (a server and a phone joined by a
/// veth pair): the phone multicasts to 224.0.1.75:5060, the server answers by unicast. Never in the
/// machine's own namespace, where a join would send IGMP onto the real network.
/// </summary>
public sealed class UdpSocketActorMulticastTests : TestKit, IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly IPAddress Group = IPAddress.Parse("224.0.1.75");

    private readonly ITestOutputHelper _output;
    private readonly NamespacePair? _namespaces;
    private readonly List<Socket> _sockets = [];
    private readonly UdpTransportCounters _counters = new();

    public UdpSocketActorMulticastTests(ITestOutputHelper output) : base(output: output)
    {
        _output = output;
        _namespaces = NamespacePair.TryCreate(out var reason, link: false);
        if (_namespaces is null) _output.WriteLine($"SKIPPED: {reason}");
    }

    [Fact]
    public void A_SUBSCRIBE_multicast_by_the_phone_arrives_via_multicast_on_its_interface_and_the_unicast_reply_reaches_the_phone()
    {
        if (_namespaces is not { } ns) return;
        ns.Link();
        var options = new UdpTransportOptions { Port = 5060, BindRetryDelay = TimeSpan.FromMilliseconds(100) };
        var transport = Sys.ActorOf(UdpSocketActor.PropsWithBackoff(options, TestActor, _counters, new NamespaceSocketFactory(ns.Server)));

        var bound = ExpectMsg<SipTransport.Bound>(Wait);
        Assert.Equal([new IPEndPoint(IPAddress.Any, 5060)], bound.LocalEndpoints);
        Assert.Equal([ns.ServerLink], bound.MulticastInterfaces);

        var phone = PhoneSocket(ns);
        var subscribe = Subscribe(ns, "224.0.1.75");
        phone.SendTo(subscribe, new IPEndPoint(Group, 5060));

        var received = ExpectMsg<SipTransport.Received>(Wait);
        Assert.Equal(subscribe, received.Data);
        Assert.True(received.Origin.ViaMulticast);
        Assert.Equal(phone.LocalEndPoint, received.Origin.Source);
        Assert.Equal(ns.ServerAddress, received.Origin.LocalAddress);
        Assert.Equal(NamespacePair.IndexOf(ns.Server, ns.ServerLink), received.Origin.InterfaceIndex);
        Assert.Equal(1, _counters.DatagramsReceivedMulticast);

        var ok = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray();
        transport.Tell(new SipTransport.Send(ok, received.Origin.Source, received.Origin.LocalAddress));
        var (reply, from) = ReceiveOn(phone);
        Assert.Equal(ok, reply);
        Assert.Equal(new IPEndPoint(ns.ServerAddress, 5060), from);

        // The phone's 200 to our NOTIFY comes by unicast to the same socket.
        phone.SendTo("SIP/2.0 200 OK\r\n\r\n"u8.ToArray(), new IPEndPoint(ns.ServerAddress, 5060));
        var unicast = ExpectMsg<SipTransport.Received>(Wait);
        Assert.False(unicast.Origin.ViaMulticast);
        Assert.Equal(ns.ServerAddress, unicast.Origin.LocalAddress);
    }

    [Fact]
    public void With_a_specific_bind_address_a_group_socket_receives_the_multicast_and_replies_leave_from_the_unicast_address()
    {
        if (_namespaces is not { } ns) return;
        ns.Link();
        var server = ns.ServerAddress;
        var options = new UdpTransportOptions { BindAddress = server, Port = 5062, MulticastInterfaces = [ns.ServerLink] };
        var transport = Sys.ActorOf(UdpSocketActor.PropsWithBackoff(options, TestActor, _counters, new NamespaceSocketFactory(ns.Server)));

        var bound = ExpectMsg<SipTransport.Bound>(Wait);
        Assert.Equal([new IPEndPoint(server, 5062), new IPEndPoint(Group, 5062)], bound.LocalEndpoints);

        var phone = PhoneSocket(ns);
        phone.SendTo(Subscribe(ns, "224.0.1.75"), new IPEndPoint(Group, 5062));
        var multicast = ExpectMsg<SipTransport.Received>(Wait);
        Assert.True(multicast.Origin.ViaMulticast);
        Assert.Equal(server, multicast.Origin.LocalAddress);

        phone.SendTo(Subscribe(ns, ns.ServerAddress.ToString()), new IPEndPoint(server, 5062));
        var unicast = ExpectMsg<SipTransport.Received>(Wait);
        Assert.False(unicast.Origin.ViaMulticast);

        transport.Tell(new SipTransport.Send("SIP/2.0 200 OK\r\n\r\n"u8.ToArray(), multicast.Origin.Source, server));
        var (_, from) = ReceiveOn(phone);
        Assert.Equal(new IPEndPoint(server, 5062), from);
    }

    [Fact]
    public void The_join_is_retried_until_the_configured_interface_comes_up()
    {
        if (_namespaces is not { } ns) return;
        var options = new UdpTransportOptions
        {
            Port = 5064,
            MulticastInterfaces = [ns.ServerLink],
            BindRetryAttempts = 60,
            BindRetryDelay = TimeSpan.FromMilliseconds(100),
            BindRetryMaxDelay = TimeSpan.FromMilliseconds(200),
        };
        Sys.ActorOf(UdpSocketActor.PropsWithBackoff(options, TestActor, _counters, new NamespaceSocketFactory(ns.Server)));

        // Retried while the interface is missing (waited for, not timed: the first attempt may start late on a loaded machine).
        AwaitCondition(() => _counters.BindFailures >= 2, TimeSpan.FromSeconds(8), TimeSpan.FromMilliseconds(20));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        ns.Link();

        var bound = ExpectMsg<SipTransport.Bound>(Wait);
        Assert.Equal([ns.ServerLink], bound.MulticastInterfaces);
        var phone = PhoneSocket(ns);
        phone.SendTo(Subscribe(ns, "224.0.1.75"), new IPEndPoint(Group, 5064));
        Assert.True(ExpectMsg<SipTransport.Received>(Wait).Origin.ViaMulticast);
    }

    [Fact]
    public void The_group_is_joined_again_when_the_interface_is_recreated_under_a_running_transport()
    {
        if (_namespaces is not { } ns) return;
        ns.Link();
        var options = new UdpTransportOptions { Port = 5066, InterfaceWatchInterval = TimeSpan.FromMilliseconds(200) };
        var transport = Sys.ActorOf(UdpSocketActor.PropsWithBackoff(options, TestActor, _counters, new NamespaceSocketFactory(ns.Server)));
        Assert.Equal([ns.ServerLink], ExpectMsg<SipTransport.Bound>(Wait).MulticastInterfaces);
        var oldIndex = NamespacePair.IndexOf(ns.Server, ns.ServerLink);

        ns.Unlink();
        Assert.Empty(ExpectMsg<SipTransport.Bound>(Wait).MulticastInterfaces);
        ns.Link();

        var rejoined = ExpectMsg<SipTransport.Bound>(Wait);
        Assert.Equal([ns.ServerLink], rejoined.MulticastInterfaces);
        Assert.Equal([new IPEndPoint(IPAddress.Any, 5066)], rejoined.LocalEndpoints);
        Assert.Equal(1, _counters.MulticastRejoins);
        Assert.Equal(0, _counters.Rebinds);
        var newIndex = NamespacePair.IndexOf(ns.Server, ns.ServerLink);
        Assert.NotEqual(oldIndex, newIndex);
        var phone = PhoneSocket(ns);
        phone.SendTo(Subscribe(ns, "224.0.1.75"), new IPEndPoint(Group, 5066));
        var received = ExpectMsg<SipTransport.Received>(Wait);
        Assert.True(received.Origin.ViaMulticast);
        Assert.Equal(newIndex, received.Origin.InterfaceIndex);
        Assert.Equal(ns.ServerAddress, received.Origin.LocalAddress);
        transport.Tell(new SipTransport.Send("SIP/2.0 200 OK\r\n\r\n"u8.ToArray(), received.Origin.Source, null));
        Assert.Equal(new IPEndPoint(ns.ServerAddress, 5066), ReceiveOn(phone).From);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_group_datagram_from_another_VLAN_where_someone_else_joined_the_group_is_not_delivered(bool kernelFilter)
    {
        if (_namespaces is not { } ns) return;
        ns.Link();
        var other = ns.AddSecondLan();
        var options = new UdpTransportOptions
        {
            BindAddress = ns.ServerAddress, Port = 5068, MulticastInterfaces = [ns.ServerLink], KernelMembershipFilter = kernelFilter,
        };
        Sys.ActorOf(UdpSocketActor.PropsWithBackoff(options, TestActor, _counters, new NamespaceSocketFactory(ns.Server)));
        Assert.Equal([ns.ServerLink], ExpectMsg<SipTransport.Bound>(Wait).MulticastInterfaces);

        // Another daemon on this host serving the other VLAN: the group, the same port, joined there.
        var neighbour = NamespacePair.UdpSocketIn(ns.Server);
        _sockets.Add(neighbour);
        neighbour.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        neighbour.Bind(new IPEndPoint(Group, 5068));
        neighbour.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(Group, other.ServerAddress));
        neighbour.ReceiveTimeout = 5000;

        var otherPhone = NamespacePair.UdpSocketIn(other.Phone);
        _sockets.Add(otherPhone);
        otherPhone.Bind(new IPEndPoint(other.PhoneAddress, 0));
        otherPhone.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, other.PhoneAddress.GetAddressBytes());
        var foreign = Subscribe(ns, "224.0.1.75");
        otherPhone.SendTo(foreign, new IPEndPoint(Group, 5068));

        Assert.Equal(foreign, ReceiveOn(neighbour).Data); // it did reach the host, and its rightful listener
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal(0, _counters.DatagramsReceivedMulticast);
        // Without the kernel's filter the receive loop's own interface check is what drops it.
        Assert.Equal(kernelFilter ? 0 : 1, _counters.ForeignInterfaceDropped);

        // This VLAN's phone is still heard.
        var phone = PhoneSocket(ns);
        phone.SendTo(Subscribe(ns, "224.0.1.75"), new IPEndPoint(Group, 5068));
        var received = ExpectMsg<SipTransport.Received>(Wait);
        Assert.True(received.Origin.ViaMulticast);
        Assert.Equal(NamespacePair.IndexOf(ns.Server, ns.ServerLink), received.Origin.InterfaceIndex);
    }

    private Socket PhoneSocket(NamespacePair ns)
    {
        var socket = ns.PhoneUdpSocket();
        _sockets.Add(socket);
        socket.ReceiveTimeout = 5000;
        var phone = ns.PhoneAddress;
        socket.Bind(new IPEndPoint(phone, 0));
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, phone.GetAddressBytes());
        return socket;
    }

    private static byte[] Subscribe(NamespacePair ns, string requestHost) => Encoding.ASCII.GetBytes(
        $"SUBSCRIBE sip:MAC%3a000413000001@{requestHost} SIP/2.0\r\n" +
        $"Via: SIP/2.0/UDP {ns.PhoneAddress}:5060;branch=z9hG4bK-1;rport\r\n" +
        "From: <sip:MAC%3a000413000001@224.0.1.75>;tag=1\r\nTo: <sip:MAC%3a000413000001@224.0.1.75>\r\n" +
        $"Call-ID: 1@{ns.PhoneAddress}\r\nCSeq: 1 SUBSCRIBE\r\nEvent: ua-profile;profile-type=\"device\";vendor=\"snom\";model=\"snom360\";version=\"8.7.3.25\"\r\n" +
        "Expires: 0\r\nContent-Length: 0\r\n\r\n");

    private static (byte[] Data, IPEndPoint From) ReceiveOn(Socket socket)
    {
        var buffer = new byte[65_535];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        var length = socket.ReceiveFrom(buffer, ref from);
        return (buffer[..length], (IPEndPoint)from);
    }

    void IDisposable.Dispose()
    {
        // Stop the actors (closing their sockets) before the namespaces go.
        Dispose();
        foreach (var socket in _sockets) socket.Dispose();
        _namespaces?.Dispose();
    }
}
