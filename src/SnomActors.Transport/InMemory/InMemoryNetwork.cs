using System.Net;
using Akka.Actor;

namespace SnomActors.Transport.InMemory;

/// <summary>
/// A simulated LAN for TestKit simulations: endpoints attach with their <see cref="IPEndPoint"/>;
/// a datagram to a unicast address goes to the endpoint owning it, one to the multicast group
/// reaches every endpoint that joined (with <see cref="DatagramOrigin.ViaMulticast"/> set and the
/// receiver's own address as <see cref="DatagramOrigin.LocalAddress"/>). Each copy may be lost,
/// duplicated and delayed as <see cref="InMemoryNetworkOptions"/> says.
/// </summary>
/// <remarks>
/// All randomness comes from one seeded <see cref="Random"/>, drawn a fixed number of times per
/// copy, and every delay goes through the actor system's scheduler. A run is therefore repeatable
/// for a seed whenever the order in which datagrams reach this actor is — which holds under the
/// TestScheduler with the calling-thread dispatcher (everything then runs on the test thread), not
/// under the thread-pool dispatcher, where the phones' and the daemon's sends interleave freely.
/// </remarks>
public sealed class InMemoryNetwork : UntypedActor
{
    /// <summary>An endpoint (the sender) claims <paramref name="Address"/>; answered with <see cref="Attached"/> or <see cref="AttachRejected"/>.</summary>
    public sealed record Attach(IPEndPoint Address, bool JoinMulticast);

    /// <summary>The address is now the sender's.</summary>
    public sealed record Attached(IPEndPoint Address);

    /// <summary>Another live endpoint already owns the address.</summary>
    public sealed record AttachRejected(IPEndPoint Address, string Reason);

    /// <summary>A datagram put on the wire by the endpoint at <paramref name="Source"/>.</summary>
    public sealed record Transmit(byte[] Data, IPEndPoint Source, IPEndPoint Destination);

    /// <summary>Asks for the <see cref="Counters"/>.</summary>
    public sealed record GetCounters
    {
        /// <summary>The single instance.</summary>
        public static readonly GetCounters Instance = new();

        private GetCounters()
        {
        }
    }

    /// <summary>What the network did so far.</summary>
    /// <param name="Sent">Datagrams transmitted (a multicast datagram counts once).</param>
    /// <param name="Delivered">Copies handed to a receiver (duplicates included).</param>
    /// <param name="Dropped">Copies lost on purpose.</param>
    /// <param name="Duplicated">Extra copies created.</param>
    /// <param name="Undeliverable">Datagrams nobody owned the destination of.</param>
    public sealed record Counters(long Sent, long Delivered, long Dropped, long Duplicated, long Undeliverable);

    private sealed record Member(IPEndPoint Address, IActorRef Endpoint, bool JoinedMulticast);

    private readonly InMemoryNetworkOptions _options;
    private readonly Random _random;
    private readonly Dictionary<IPEndPoint, Member> _byAddress = new();
    private readonly Dictionary<IActorRef, Member> _byEndpoint = new();
    // Registration order, so that multicast fan-out (and its random draws) happen in a fixed order.
    private readonly List<Member> _multicastMembers = [];
    private long _sent, _delivered, _dropped, _duplicated, _undeliverable;

    /// <summary>Use <see cref="Props"/>.</summary>
    public InMemoryNetwork(InMemoryNetworkOptions options)
    {
        _options = options;
        _random = new Random(options.Seed);
    }

    /// <summary>Props of a network with the given behaviour (validated here).</summary>
    public static Props Props(InMemoryNetworkOptions options)
    {
        options.Validate();
        return Akka.Actor.Props.Create<InMemoryNetwork>(options);
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Transmit transmit:
                OnTransmit(transmit);
                break;
            case Attach attach:
                OnAttach(attach);
                break;
            case Terminated terminated:
                Detach(terminated.ActorRef);
                break;
            case GetCounters:
                Sender.Tell(new Counters(_sent, _delivered, _dropped, _duplicated, _undeliverable));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnAttach(Attach attach)
    {
        if (_byAddress.TryGetValue(attach.Address, out var existing) && !existing.Endpoint.Equals(Sender))
        {
            Sender.Tell(new AttachRejected(attach.Address, $"{attach.Address} is already attached"));
            return;
        }
        var member = new Member(attach.Address, Sender, attach.JoinMulticast);
        _byAddress[attach.Address] = member;
        _byEndpoint[Sender] = member;
        if (attach.JoinMulticast) _multicastMembers.Add(member);
        Context.Watch(Sender);
        Sender.Tell(new Attached(attach.Address));
    }

    private void Detach(IActorRef endpoint)
    {
        if (!_byEndpoint.Remove(endpoint, out var member)) return;
        _byAddress.Remove(member.Address);
        if (member.JoinedMulticast) _multicastMembers.Remove(member);
    }

    private void OnTransmit(Transmit transmit)
    {
        _sent++;
        var destination = transmit.Destination;
        if (destination.Address.Equals(_options.MulticastGroup))
        {
            var any = false;
            foreach (var member in _multicastMembers)
            {
                // IP_MULTICAST_LOOP is off on the daemon's socket: a sender never hears itself.
                if (member.Address.Port != destination.Port || member.Address.Equals(transmit.Source)) continue;
                any = true;
                DeliverCopies(transmit, member, viaMulticast: true);
            }
            if (!any) _undeliverable++;
            return;
        }
        if (_byAddress.TryGetValue(destination, out var owner)
            || _byAddress.TryGetValue(new IPEndPoint(IPAddress.Any, destination.Port), out owner))
        {
            DeliverCopies(transmit, owner, viaMulticast: false);
            return;
        }
        _undeliverable++;
    }

    private void DeliverCopies(Transmit transmit, Member receiver, bool viaMulticast)
    {
        // A fixed number of draws per copy whatever the outcome keeps one run's stream aligned with another's.
        var lost = _random.NextDouble() < _options.LossProbability;
        var duplicated = _random.NextDouble() < _options.DuplicationProbability;
        var firstDelay = DrawDelay();
        var secondDelay = DrawDelay();
        if (lost)
        {
            _dropped++;
            return;
        }
        var localAddress = receiver.Address.Address.Equals(IPAddress.Any) ? transmit.Destination.Address : receiver.Address.Address;
        var received = new SipTransport.Received(transmit.Data, new DatagramOrigin(transmit.Source, localAddress, 0, viaMulticast));
        Deliver(receiver.Endpoint, received, firstDelay);
        if (!duplicated) return;
        _duplicated++;
        Deliver(receiver.Endpoint, received, secondDelay);
    }

    private TimeSpan DrawDelay()
    {
        var jitterTicks = (long)(_options.Jitter.Ticks * _random.NextDouble());
        var ticks = _options.BaseDelay.Ticks + jitterTicks;
        var resolution = _options.DelayResolution.Ticks;
        if (resolution > 0 && ticks % resolution != 0) ticks += resolution - ticks % resolution;
        return TimeSpan.FromTicks(ticks);
    }

    private void Deliver(IActorRef endpoint, SipTransport.Received received, TimeSpan delay)
    {
        _delivered++;
        if (delay <= TimeSpan.Zero) endpoint.Tell(received, Self);
        // Never a zero delay through the TestScheduler: work scheduled for the instant being advanced is skipped.
        else Context.System.Scheduler.ScheduleTellOnce(delay, endpoint, received, Self);
    }
}
