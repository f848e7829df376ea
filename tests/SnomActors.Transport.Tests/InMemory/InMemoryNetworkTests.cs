using System.Net;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using SnomActors.Transport.InMemory;

namespace SnomActors.Transport.Tests.InMemory;

/// <summary>
/// The in-memory network under the TestScheduler with the calling-thread dispatcher: every actor
/// runs on the test thread, so a run is a function of its seed.
/// </summary>
public sealed class InMemoryNetworkTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config VirtualTime = ConfigurationFactory.ParseString("""
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.actor.default-dispatcher.type = "Akka.TestKit.CallingThreadDispatcherConfigurator, Akka.TestKit"
        akka.actor.internal-dispatcher.type = "Akka.TestKit.CallingThreadDispatcherConfigurator, Akka.TestKit"
        akka.loglevel = WARNING
        """);

    private static readonly IPEndPoint Server = new(IPAddress.Parse("10.0.0.1"), 5060);
    private static readonly IPEndPoint PhoneA = new(IPAddress.Parse("10.0.0.2"), 5060);
    private static readonly IPEndPoint PhoneB = new(IPAddress.Parse("10.0.0.3"), 5062);
    private static readonly IPEndPoint Group = new(IPAddress.Parse("224.0.1.75"), 5060);

    public InMemoryNetworkTests() : base(VirtualTime)
    {
    }

    private TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    /// <summary>Listener that records what it receives, in order (plain list: everything runs on this thread).</summary>
    private sealed class Recorder : ReceiveActor
    {
        public Recorder(List<SipTransport.Received> received, List<SipTransport.Bound> bound)
        {
            Receive<SipTransport.Received>(received.Add);
            Receive<SipTransport.Bound>(bound.Add);
        }
    }

    private (IActorRef Endpoint, List<SipTransport.Received> Received, List<SipTransport.Bound> Bound) Host(
        ActorSystem system, IActorRef network, IPEndPoint address, bool join)
    {
        var received = new List<SipTransport.Received>();
        var bound = new List<SipTransport.Bound>();
        var listener = system.ActorOf(Props.Create<Recorder>(received, bound));
        var endpoint = system.ActorOf(new InMemoryTransportFactory(network, address, join).CreateProps(listener));
        return (endpoint, received, bound);
    }

    private static SipTransport.Send Datagram(string text, IPEndPoint to) => new(System.Text.Encoding.ASCII.GetBytes(text), to, null);

    [Fact]
    public void An_endpoint_reports_its_address_as_bound_when_it_starts()
    {
        var network = Sys.ActorOf(InMemoryNetwork.Props(new InMemoryNetworkOptions()));
        var server = Host(Sys, network, Server, join: true);
        var bound = Assert.Single(server.Bound);
        Assert.Equal(Server, Assert.Single(bound.LocalEndpoints));
        Assert.NotEmpty(bound.MulticastInterfaces);
    }

    [Fact]
    public void Unicast_reaches_only_the_owner_of_the_address_after_the_base_delay()
    {
        var network = Sys.ActorOf(InMemoryNetwork.Props(new InMemoryNetworkOptions { BaseDelay = TimeSpan.FromMilliseconds(3) }));
        var server = Host(Sys, network, Server, join: true);
        var a = Host(Sys, network, PhoneA, join: false);
        var b = Host(Sys, network, PhoneB, join: false);

        server.Endpoint.Tell(Datagram("hello", PhoneA));
        Clock.Advance(TimeSpan.FromMilliseconds(2));
        Assert.Empty(a.Received);
        Clock.Advance(TimeSpan.FromMilliseconds(1));

        var got = Assert.Single(a.Received);
        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(got.Data));
        Assert.Equal(Server, got.Origin.Source);
        Assert.Equal(PhoneA.Address, got.Origin.LocalAddress);
        Assert.False(got.Origin.ViaMulticast);
        Assert.Empty(b.Received);
        Assert.Empty(server.Received);
    }

    [Fact]
    public void Multicast_reaches_every_member_of_the_group_on_that_port_but_not_the_sender()
    {
        var network = Sys.ActorOf(InMemoryNetwork.Props(new InMemoryNetworkOptions()));
        var server = Host(Sys, network, Server, join: true);
        var otherServer = Host(Sys, network, new IPEndPoint(IPAddress.Parse("10.0.0.9"), 5060), join: true);
        var wrongPort = Host(Sys, network, new IPEndPoint(IPAddress.Parse("10.0.0.8"), 5070), join: true);
        var phone = Host(Sys, network, PhoneA, join: false);
        var bystander = Host(Sys, network, PhoneB, join: false);

        phone.Endpoint.Tell(Datagram("SUBSCRIBE", Group));
        server.Endpoint.Tell(Datagram("from-server", Group));
        Clock.Advance(TimeSpan.FromMilliseconds(1));

        var atServer = Assert.Single(server.Received);
        Assert.True(atServer.Origin.ViaMulticast);
        Assert.Equal(Server.Address, atServer.Origin.LocalAddress);
        Assert.Equal(PhoneA, atServer.Origin.Source);
        Assert.Equal(2, otherServer.Received.Count);
        Assert.Equal(IPAddress.Parse("10.0.0.9"), otherServer.Received[0].Origin.LocalAddress);
        Assert.Empty(wrongPort.Received);
        Assert.Empty(bystander.Received);
        Assert.Empty(phone.Received);
    }

    [Fact]
    public void A_second_endpoint_cannot_take_an_address_that_is_in_use()
    {
        var network = Sys.ActorOf(InMemoryNetwork.Props(new InMemoryNetworkOptions()));
        Host(Sys, network, Server, join: true);
        var probe = CreateTestProbe();
        network.Tell(new InMemoryNetwork.Attach(Server, false), probe.Ref);
        probe.ExpectMsg<InMemoryNetwork.AttachRejected>();
    }

    [Fact]
    public async Task Datagrams_to_an_address_nobody_owns_are_counted_as_undeliverable()
    {
        var network = Sys.ActorOf(InMemoryNetwork.Props(new InMemoryNetworkOptions()));
        var a = Host(Sys, network, PhoneA, join: false);
        a.Endpoint.Tell(Datagram("x", new IPEndPoint(IPAddress.Parse("10.9.9.9"), 5060)));
        var counters = await network.Ask<InMemoryNetwork.Counters>(InMemoryNetwork.GetCounters.Instance);
        Assert.Equal(new InMemoryNetwork.Counters(1, 0, 0, 0, 1), counters);
    }

    /// <summary>Sends 2,000 numbered datagrams A→B through a lossy, duplicating, jittery network; returns what arrived, in order.</summary>
    private static async Task<(List<int> Arrivals, InMemoryNetwork.Counters Counters)> Storm(int seed)
    {
        using var system = ActorSystem.Create("storm", VirtualTime);
        var clock = (TestScheduler)system.Scheduler;
        var network = system.ActorOf(InMemoryNetwork.Props(new InMemoryNetworkOptions
        {
            LossProbability = 0.10, DuplicationProbability = 0.05, BaseDelay = TimeSpan.FromMilliseconds(1),
            Jitter = TimeSpan.FromMilliseconds(20), Seed = seed,
        }));
        var receivedA = new List<SipTransport.Received>();
        var receivedB = new List<SipTransport.Received>();
        var a = system.ActorOf(new InMemoryTransportFactory(network, PhoneA, false).CreateProps(system.ActorOf(Props.Create<Recorder>(receivedA, new List<SipTransport.Bound>()))));
        system.ActorOf(new InMemoryTransportFactory(network, PhoneB, false).CreateProps(system.ActorOf(Props.Create<Recorder>(receivedB, new List<SipTransport.Bound>()))));
        for (var i = 0; i < 2000; i++)
        {
            a.Tell(Datagram(i.ToString(System.Globalization.CultureInfo.InvariantCulture), PhoneB));
            if (i % 10 == 9) clock.Advance(TimeSpan.FromMilliseconds(1));
        }
        clock.Advance(TimeSpan.FromMilliseconds(100));
        var counters = await network.Ask<InMemoryNetwork.Counters>(InMemoryNetwork.GetCounters.Instance);
        var arrivals = receivedB.Select(r => int.Parse(System.Text.Encoding.ASCII.GetString(r.Data), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        await system.Terminate();
        return (arrivals, counters);
    }

    [Fact]
    public async Task Loss_duplication_and_reordering_happen_at_the_configured_rates_and_repeat_exactly_for_a_seed()
    {
        var first = await Storm(42);
        var again = await Storm(42);
        var other = await Storm(43);

        Assert.Equal(first.Arrivals, again.Arrivals);
        Assert.Equal(first.Counters, again.Counters);
        Assert.NotEqual(first.Arrivals, other.Arrivals);

        var c = first.Counters;
        Assert.Equal(2000, c.Sent);
        Assert.InRange(c.Dropped, 140, 260);          // 10 % of 2,000
        Assert.InRange(c.Duplicated, 50, 130);        // 5 % of the ~1,800 delivered
        Assert.Equal(c.Sent - c.Dropped + c.Duplicated, c.Delivered);
        Assert.Equal(c.Delivered, first.Arrivals.Count);
        // Jitter of 20 ms against 1 ms between bursts: datagrams overtake each other.
        var inversions = first.Arrivals.Zip(first.Arrivals.Skip(1)).Count(p => p.First > p.Second);
        Assert.True(inversions > 100, $"expected reordering, saw {inversions} inversions");
        Assert.True(first.Arrivals.GroupBy(x => x).Any(g => g.Count() == 2), "expected duplicates");
    }

    [Fact]
    public void Invalid_options_are_refused()
    {
        Assert.Throws<ArgumentException>(() => InMemoryNetwork.Props(new InMemoryNetworkOptions { LossProbability = 1.5 }));
        Assert.Throws<ArgumentException>(() => InMemoryNetwork.Props(new InMemoryNetworkOptions { Jitter = TimeSpan.FromMilliseconds(-1) }));
    }
}
