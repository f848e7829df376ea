using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;

namespace SnomActors.Simulator.Tests.Simulation;

/// <summary>
/// Actor-system settings for deterministic simulations: the TestScheduler (virtual time) and the
/// calling-thread dispatcher, so that every actor runs on the thread that advances the clock and a
/// run is a pure function of its seed.
/// </summary>
internal static class VirtualTime
{
    public static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.actor.default-dispatcher {
          type = "Akka.TestKit.CallingThreadDispatcherConfigurator, Akka.TestKit"
          throughput = 1000000
        }
        # Guardians run on the internal dispatcher: top-level actors would otherwise start on the thread pool.
        akka.actor.internal-dispatcher {
          type = "Akka.TestKit.CallingThreadDispatcherConfigurator, Akka.TestKit"
          throughput = 1000000
        }
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        """);

    /// <summary>
    /// Synchronous ask: with the calling-thread dispatcher the reply is there as soon as Tell returns.
    /// </summary>
    public static T Query<T>(IActorRef actor, object message) =>
        actor.Ask<T>(message, TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();

    public static TestScheduler Scheduler(ActorSystem system) => (TestScheduler)system.Scheduler;
}
