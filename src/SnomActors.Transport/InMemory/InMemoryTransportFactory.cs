using System.Net;
using Akka.Actor;

namespace SnomActors.Transport.InMemory;

/// <summary>
/// Puts a listener (the daemon's router, a phone farm) on an <see cref="InMemoryNetwork"/> at
/// <paramref name="LocalEndpoint"/>, optionally as a member of the multicast group.
/// </summary>
/// <param name="Network">The <see cref="InMemoryNetwork"/> actor.</param>
/// <param name="LocalEndpoint">The address and port this host owns on the network.</param>
/// <param name="JoinMulticast">Receive datagrams sent to the group (a PnP server does; phones do not).</param>
public sealed record InMemoryTransportFactory(IActorRef Network, IPEndPoint LocalEndpoint, bool JoinMulticast) : ITransportFactory
{
    /// <inheritdoc />
    public Props CreateProps(IActorRef listener) =>
        InMemoryEndpoint.Props(Network, LocalEndpoint, JoinMulticast, listener);
}
