using Akka.Actor;
using SnomActors.Transport;
using SnomActors.Transport.Udp;

namespace SnomActors.Server.Config;

/// <summary>The real transport: the UDP socket actor under its back-off supervisor.</summary>
public sealed class UdpTransportFactory(UdpTransportOptions options, UdpTransportCounters counters) : ITransportFactory
{
    public UdpTransportCounters Counters => counters;

    public Props CreateProps(IActorRef listener) => UdpSocketActor.PropsWithBackoff(options, listener, counters);
}
