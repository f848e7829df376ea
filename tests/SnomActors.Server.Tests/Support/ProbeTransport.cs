using Akka.Actor;
using SnomActors.Transport;

namespace SnomActors.Server.Tests.Support;

/// <summary>
/// The router's transport in tests: every <see cref="SipTransport.Send"/> goes to the wire probe,
/// where the specification parses and checks it. Datagrams from "the network" are injected into the
/// router directly as <see cref="SipTransport.Received"/>.
/// </summary>
internal sealed class ProbeTransportFactory(IActorRef wire) : ITransportFactory
{
    private int _created;

    /// <summary>How many transport actors the router asked for (1 unless the transport died).</summary>
    public int Created => Volatile.Read(ref _created);

    public Props CreateProps(IActorRef listener)
    {
        Interlocked.Increment(ref _created);
        return Props.Create<ProbeTransport>(wire);
    }
}

internal sealed class ProbeTransport : ReceiveActor
{
    public ProbeTransport(IActorRef wire) => Receive<SipTransport.Send>(send => wire.Tell(send));
}
