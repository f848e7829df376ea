using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using SnomActors.Registry.Actors;
using SnomActors.Registry.Store;

namespace SnomActors.Registry.Config;

/// <summary>Key of the registry actor in the <see cref="ActorRegistry"/> (<c>registry.Get&lt;DeviceRegistryActorKey&gt;()</c> or <c>IRequiredActor&lt;DeviceRegistryActorKey&gt;</c>).</summary>
public sealed class DeviceRegistryActorKey
{
    private DeviceRegistryActorKey() { }
}

/// <summary>Akka.Hosting wiring of the device registry.</summary>
public static class RegistryHostingExtensions
{
    /// <summary>
    /// Starts the <see cref="DeviceRegistry"/> actor under <c>/user/&lt;ActorName&gt;</c> on the store
    /// the options choose (<see cref="RegistryStoreFactory.Create"/>: SQLite under the data
    /// directory, or PostgreSQL), registers it under <see cref="DeviceRegistryActorKey"/>, flushes it
    /// in CoordinatedShutdown's <c>before-actor-system-terminate</c> phase and disposes the store
    /// when the actor system terminates. The store is opened (migrated) by the actor, retrying
    /// while the database is unreachable, so start-up does not fail on a slow database;
    /// <see cref="DeviceRegistry.GetReady"/> tells when it is open.
    /// </summary>
    public static AkkaConfigurationBuilder AddDeviceRegistry(this AkkaConfigurationBuilder builder, RegistryOptions options) =>
        builder.AddDeviceRegistry(options, RegistryStoreFactory.Create(options), ownsStore: true);

    /// <summary>
    /// Same as <see cref="AddDeviceRegistry(AkkaConfigurationBuilder, RegistryOptions)"/> on a store
    /// the caller made; it is disposed at termination only when <paramref name="ownsStore"/>.
    /// </summary>
    public static AkkaConfigurationBuilder AddDeviceRegistry(
        this AkkaConfigurationBuilder builder, RegistryOptions options, IRegistryStore store, bool ownsStore)
    {
        return builder.WithActors((system, registry) =>
        {
            var actor = system.ActorOf(DeviceRegistry.Props(store, options), options.ActorName);
            registry.Register<DeviceRegistryActorKey>(actor);
            var shutdown = CoordinatedShutdown.Get(system);
            shutdown.AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "flush-device-registry", async () =>
            {
                try
                {
                    await actor.Ask<DeviceRegistry.Flushed>(DeviceRegistry.Flush.Instance, options.ShutdownFlushTimeout);
                }
                catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
                {
                    // The actor's PostStop makes a last attempt when the system terminates.
                    system.Log.Warning("Device registry flush did not finish within {0}", options.ShutdownFlushTimeout);
                }
                return Done.Instance;
            });
            if (ownsStore)
                system.RegisterOnTermination(() => store.DisposeAsync().AsTask().GetAwaiter().GetResult());
        });
    }
}
