using Akka.Actor;

namespace SnomActors.Transport;

/// <summary>
/// Starts an actor system's scheduler before a burst of actors needs it.
/// </summary>
/// <remarks>
/// Akka.NET 1.5's <c>HashedWheelTimerScheduler</c> starts its worker lazily, on the first timer
/// scheduled: it queues the worker on the thread pool (<c>Task.Run</c>) and blocks every caller in
/// <c>Task.Wait()</c> until the worker has run. When thousands of actors schedule their first timer
/// at the same moment (simulated phones booting at once, each arming Timer E), every pool thread
/// blocks there while the worker's work item waits behind the rest of their mailboxes: the pool
/// then grows by about one thread a second until it reaches the worker. A CI run hung seven minutes
/// on this with hundreds of threads parked in <c>HashedWheelTimerScheduler.Start</c> (seen in a dump).
/// Scheduling one no-op while the pool is idle makes that start happen once, up front.
/// </remarks>
public static class SchedulerWarmUp
{
    /// <summary>
    /// Blocks until <paramref name="scheduler"/>'s worker runs (immediately when it already does).
    /// Call it from a thread that is not needed for the worker to start: a fresh system's creator,
    /// or an actor's <c>PreStart</c> before it starts the burst.
    /// </summary>
    public static void Ensure(IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        scheduler.Advanced.ScheduleOnce(TimeSpan.Zero, static () => { });
    }
}
