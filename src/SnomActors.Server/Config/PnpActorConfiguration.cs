using Akka.Hosting;
using SnomActors.Server.Actors;
using SnomActors.Server.Metrics;
using SnomActors.Transport;

namespace SnomActors.Server.Config;

/// <summary>Marker for the PnP router in Akka.Hosting's ActorRegistry.</summary>
public sealed class PnpRouterKey;

/// <summary>Marker for the check-sync pacing actor in Akka.Hosting's ActorRegistry.</summary>
public sealed class ResyncKey;

/// <summary>Akka.Hosting wiring of the PnP core.</summary>
public static class PnpActorConfiguration
{
    /// <summary>
    /// Starts the <see cref="DialogRouter"/> (named <c>pnp</c>) with its transport and registers it
    /// under <see cref="PnpRouterKey"/>.
    /// </summary>
    public static AkkaConfigurationBuilder AddPnpCore(this AkkaConfigurationBuilder builder,
        PnpOptions options, ITransportFactory transportFactory, PnpMetrics metrics) =>
        builder.WithActors((system, registry) =>
        {
            var router = system.ActorOf(DialogRouter.Props(options, transportFactory, metrics), "pnp");
            registry.Register<PnpRouterKey>(router);
            registry.Register<ResyncKey>(system.ActorOf(ResyncCoordinator.Props(router, options.ResyncPerSecond), "resync"));
        });
}
