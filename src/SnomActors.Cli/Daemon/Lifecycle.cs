using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using SnomActors.Server.Actors;
using SnomActors.Server.Config;

namespace SnomActors.Cli.Daemon;

/// <summary>
/// Orders the start so that "phones can be served" means both sides: the SIP transport is held
/// (<see cref="HeldTransportFactory"/>) until Kestrel listens, because every NOTIFY sends the phone
/// straight to the settings URL; then the host's start waits until the SIP socket is bound, so that
/// systemd's READY=1 (sent by <c>UseSystemd()</c> once the host has started) means the same.
/// </summary>
/// <remarks>
/// The web server's hosted service is always started last (after every service registered here),
/// so the gate works in <see cref="StartedAsync"/>, which the host calls once every service's
/// <c>StartAsync</c>, Kestrel's included, has completed. A daemon whose HTTP port cannot be bound
/// therefore never answers a SUBSCRIBE.
/// </remarks>
internal sealed class ReadinessGate(DaemonReadiness readiness, ILogger<ReadinessGate> log) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        readiness.MarkHttpListening();
        if (!readiness.SipBound) log.LogInformation("HTTP listening; waiting for the SIP socket to be bound");
        await readiness.WhenBound.WaitAsync(cancellationToken);
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The drain timeout is what an operator (and systemd's stop timeout) plans the whole stop by, so
    /// the wait for dialogs keeps a reserve of it for what follows: the registry's last batch, the
    /// actor system and the web server. A dialog whose phone never answers would otherwise use all of
    /// it and the stop would overrun by exactly that tail.
    /// </summary>
    internal static TimeSpan DialogDrainBudget(TimeSpan drainTimeout)
    {
        var reserve = TimeSpan.FromTicks(Math.Clamp(drainTimeout.Ticks / 10, TimeSpan.TicksPerSecond / 2, 2 * TimeSpan.TicksPerSecond));
        return drainTimeout > reserve ? drainTimeout - reserve : TimeSpan.Zero;
    }
}

/// <summary>
/// systemd watchdog (Type=notify, WatchdogSec=): pings WATCHDOG=1 at half the interval, but only
/// while the router answers — its mailbox is the receive path, so a wedged router stops the pings
/// and systemd restarts the daemon.
/// </summary>
internal sealed class SystemdWatchdog(
    ISystemdNotifier notifier, IRequiredActor<PnpRouterKey> router, DaemonReadiness readiness, ILogger<SystemdWatchdog> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!notifier.IsEnabled) return;
        var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        if (!long.TryParse(usec, out var micros) || micros <= 0) return;
        var interval = TimeSpan.FromMicroseconds(micros / 2.0);
        log.LogInformation("systemd watchdog every {Interval}", interval);
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                if (!readiness.SipBound) continue;
                await router.ActorRef.Ask<DialogRouter.LiveDialogs>(DialogRouter.GetLiveDialogs.Instance, interval, stoppingToken);
                notifier.Notify(new ServiceState("WATCHDOG=1"));
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
            {
                log.LogWarning("Router did not answer within {Interval}; withholding the watchdog ping", interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

/// <summary>
/// Graceful shutdown: on stop, the router refuses new dialogs and the NOTIFY transactions in flight
/// finish (up to Timer F); then the web server, the actor system (the registry flushes) stop.
/// </summary>
/// <remarks>
/// The drain runs in <see cref="StoppingAsync"/>, which the host calls before any service's
/// <c>StopAsync</c>: the web server is stopped first of all (it is started last), and a phone that
/// gets its NOTIFY while the dialogs drain must still be able to download its settings.
/// </remarks>
internal sealed class GracefulDrain(IRequiredActor<PnpRouterKey> router, SnomActorsSettings settings, ILogger<GracefulDrain> log)
    : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var timeout = DialogDrainBudget(TimeSpan.FromSeconds(settings.Shutdown.DrainTimeoutSeconds));
        log.LogInformation("Stopping: draining dialogs in flight (at most {Timeout})", timeout);
        try
        {
            await router.ActorRef.Ask<DialogRouter.Drained>(DialogRouter.Drain.Instance, timeout, cancellationToken);
            log.LogInformation("All dialogs finished");
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException or OperationCanceledException)
        {
            log.LogWarning("Drain timeout: stopping with dialogs still in flight");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The drain timeout is what an operator (and systemd's stop timeout) plans the whole stop by, so
    /// the wait for dialogs keeps a reserve of it for what follows: the registry's last batch, the
    /// actor system and the web server. A dialog whose phone never answers would otherwise use all of
    /// it and the stop would overrun by exactly that tail.
    /// </summary>
    internal static TimeSpan DialogDrainBudget(TimeSpan drainTimeout)
    {
        var reserve = TimeSpan.FromTicks(Math.Clamp(drainTimeout.Ticks / 10, TimeSpan.TicksPerSecond / 2, 2 * TimeSpan.TicksPerSecond));
        return drainTimeout > reserve ? drainTimeout - reserve : TimeSpan.Zero;
    }
}
