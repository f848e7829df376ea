using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using SnomActors.Server.Actors;
using SnomActors.Server.Config;

namespace SnomActors.Cli.Daemon;

/// <summary>
/// Holds the host's start until the SIP socket is bound, so that systemd's READY=1 (sent by
/// <c>UseSystemd()</c> when the host has started) and Kestrel's start both mean "phones can be served".
/// Registered after Akka so it runs once the actor system exists.
/// </summary>
internal sealed class ReadinessGate(DaemonReadiness readiness, ILogger<ReadinessGate> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!readiness.SipBound) log.LogInformation("Waiting for the SIP socket to be bound");
        await readiness.WhenBound.WaitAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
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
/// finish (up to Timer F); then the actor system stops and the registry flushes. Registered after
/// Akka, so the host stops it before Akka.
/// </summary>
internal sealed class GracefulDrain(IRequiredActor<PnpRouterKey> router, SnomActorsSettings settings, ILogger<GracefulDrain> log)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(settings.Shutdown.DrainTimeoutSeconds);
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
}
