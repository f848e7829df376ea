using Akka.Actor;

namespace SnomActors.Transport;

/// <summary>
/// Creates the transport actor for a listener. The SIP core never knows whether it talks to the
/// real UDP socket or to the in-memory network of a simulation: it only sends
/// <see cref="SipTransport.Send"/> to the ref it gets and receives <see cref="SipTransport.Received"/>.
/// </summary>
public interface ITransportFactory
{
    /// <summary>Props of a transport actor that delivers received datagrams to <paramref name="listener"/>.</summary>
    Props CreateProps(IActorRef listener);
}
