using System.Net;
using System.Runtime.InteropServices;
using Akka.Actor;

namespace SnomActors.Transport.InMemory;

/// <summary>
/// One host's socket on an <see cref="InMemoryNetwork"/>: it owns a local address, forwards
/// <see cref="SipTransport.Send"/> to the network and hands every datagram the network delivers to
/// its listener as <see cref="SipTransport.Received"/>. It reports <see cref="SipTransport.Bound"/>
/// at start, like the UDP socket actor does once it is bound.
/// </summary>
public sealed class InMemoryEndpoint : UntypedActor
{
    private readonly IActorRef _network;
    private readonly IPEndPoint _address;
    private readonly bool _joinMulticast;
    private readonly IActorRef _listener;

    /// <summary>Use <see cref="Props"/>.</summary>
    public InMemoryEndpoint(IActorRef network, IPEndPoint address, bool joinMulticast, IActorRef listener)
    {
        _network = network;
        _address = address;
        _joinMulticast = joinMulticast;
        _listener = listener;
    }

    /// <summary>Props of an endpoint at <paramref name="address"/> delivering to <paramref name="listener"/>.</summary>
    public static Props Props(IActorRef network, IPEndPoint address, bool joinMulticast, IActorRef listener) =>
        Akka.Actor.Props.Create<InMemoryEndpoint>(network, address, joinMulticast, listener);

    /// <inheritdoc />
    protected override void PreStart()
    {
        // Attach reaches the network before any Transmit of ours (message order between two actors is kept).
        _network.Tell(new InMemoryNetwork.Attach(_address, _joinMulticast));
        _listener.Tell(new SipTransport.Bound([_address], _joinMulticast ? [$"in-memory:{_address.Address}"] : []));
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SipTransport.Send send:
                _network.Tell(new InMemoryNetwork.Transmit(ToArray(send.Data), _address, send.Destination));
                break;
            case SipTransport.Received received:
                _listener.Tell(received);
                break;
            case InMemoryNetwork.Attached:
                break;
            case InMemoryNetwork.AttachRejected rejected:
                throw new InvalidOperationException($"In-memory endpoint could not attach: {rejected.Reason}");
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>The builders hand over fresh whole arrays; anything else is copied so a reused buffer cannot change a datagram in flight.</summary>
    private static byte[] ToArray(ReadOnlyMemory<byte> data) =>
        MemoryMarshal.TryGetArray(data, out var segment) && segment.Array is { } array && segment.Offset == 0 && segment.Count == array.Length
            ? array
            : data.ToArray();
}
