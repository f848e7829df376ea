using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SnomActors.Server.Actors;
using SnomActors.Server.Config;
using SnomActors.Simulator.Cli;
using SnomActors.Simulator.Phones;
using SnomActors.Simulator.Reporting;
using SnomActors.Transport;

namespace SnomActors.Http.Simulation;

/// <summary>
/// The daemon's <see cref="ISimulatedBoot"/>: a <see cref="SimulationRun"/> (its own small actor system)
/// whose phones send real SUBSCRIBEs to the SIP socket the PnP core bound and fetch the URL their
/// NOTIFY names, so everything the page shows for them is what a real phone would produce. The
/// phones send from loopback when the socket listens on a wildcard or loopback address, else from
/// the socket's own address (then the per-source limit applies and the boot is paced under it).
/// A boot ends by itself (every phone has an outcome, or Timer F plus the boot time passed) and is
/// stopped when the host stops.
/// </summary>
public sealed class SimulatedBootService : ISimulatedBoot, IDisposable
{
    private static readonly TimeSpan RouterWait = TimeSpan.FromSeconds(2);
    private readonly IRequiredActor<PnpRouterKey> _router;
    private readonly SimulatedBootOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SimulatedBootService> _log;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _hostStopping = new();
    private readonly CancellationTokenRegistration _stoppingRegistration;
    private Boot? _current;
    private bool _starting;
    private int _sequence;

    /// <summary>Created by DI.</summary>
    public SimulatedBootService(
        IRequiredActor<PnpRouterKey> router, SimulatedBootOptions options, TimeProvider time, ILogger<SimulatedBootService> log,
        IHostApplicationLifetime? lifetime = null)
    {
        _router = router;
        _options = options;
        _time = time;
        _log = log;
        if (lifetime is not null) _stoppingRegistration = lifetime.ApplicationStopping.Register(() => Stop());
    }

    private sealed class Boot(string id, SimulationRun run, SimulatedBootRequest request, IPEndPoint target, double rate, string? rateNote, DateTimeOffset startedAt)
    {
        public string Id { get; } = id;
        public SimulationRun Run { get; } = run;
        public SimulatedBootRequest Request { get; } = request;
        public IPEndPoint Target { get; } = target;
        public double Rate { get; } = rate;
        public string? RateNote { get; } = rateNote;
        public DateTimeOffset StartedAt { get; } = startedAt;
        public volatile bool StopRequested;
        public DateTimeOffset? FinishedAt;
        public SimulationReport? Report;
        public string? Failure;
        public Task Watcher = Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<SimulatedBootStart> StartAsync(SimulatedBootRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            if (_starting || _current is { FinishedAt: null })
                return new SimulatedBootStart(SimulatedBootStartOutcome.AlreadyRunning, _current is null ? null : Snapshot(_current, null),
                    "A simulated boot is already running: wait for it to end or stop it (DELETE /api/simulations/current).");
            _starting = true;
        }
        try
        {
            if (await BoundSipEndpointAsync(cancellationToken).ConfigureAwait(false) is not { } sip)
                return new SimulatedBootStart(SimulatedBootStartOutcome.Unavailable, null,
                    "Simulated boot is not available: the SIP side is not running (or not bound yet) in this process.");
            var target = IPAddress.Any.Equals(sip.Address) ? new IPEndPoint(IPAddress.Loopback, sip.Port) : sip;
            var local = IPAddress.IsLoopback(target.Address) ? IPAddress.Loopback : target.Address;
            var (rate, note) = PaceUnderSourceLimit(request.Rate, local);
            var bootSeconds = request.Macs.Count / rate;
            var settings = new SimulateSettings
            {
                Target = target,
                LocalAddress = local,
                Phones = request.Macs.Count,
                Rate = rate,
                Mix = request.UnknownOuiMix,
                Seed = Random.Shared.Next(1, int.MaxValue),
                NoDownload = !request.Download,
                // Phones give up after Timer F (32 s) at most; a boot never outlives that by much.
                Timeout = TimeSpan.FromSeconds(bootSeconds + 45),
                Sockets = request.Macs.Count > 2_000 ? 4 : 1,
                Progress = false,
            };
            var phones = PhonePlanner.PlanMacs(request.Macs, request.UnknownOuiMix, settings.Seed);
            var id = string.Create(CultureInfo.InvariantCulture, $"{_time.GetUtcNow():yyyyMMddTHHmmss}-{Interlocked.Increment(ref _sequence)}");
            var run = SimulationRun.Start(settings, phones, _hostStopping.Token);
            var boot = new Boot(id, run, request, target, rate, note, _time.GetUtcNow());
            boot.Watcher = WatchAsync(boot);
            lock (_gate) _current = boot;
            _log.LogInformation("Simulated boot {Id}: {Phones} phones at {Rate}/s to {Target} from {Local}", id, phones.Count, rate, target, local);
            return new SimulatedBootStart(SimulatedBootStartOutcome.Started, Snapshot(boot, null));
        }
        finally
        {
            lock (_gate) _starting = false;
        }
    }

    /// <summary>
    /// The SIP core admits at most RatePerSource new SUBSCRIBEs per second from one address; simulated
    /// phones share one. Its bucket refills in steps, so the boot goes at half the limit to stay clear of it.
    /// </summary>
    private (double Rate, string? Note) PaceUnderSourceLimit(double requested, IPAddress source)
    {
        if (_options.SourceRatePerSecond <= 0 || (_options.LoopbackExempt && IPAddress.IsLoopback(source))) return (requested, null);
        var cap = Math.Max(1, Math.Floor(_options.SourceRatePerSecond / 2));
        if (requested <= cap) return (requested, null);
        return (cap, string.Create(CultureInfo.InvariantCulture,
            $"Paced at {cap}/s instead of {requested}/s: every simulated phone sends from {source}, and the SIP side admits {_options.SourceRatePerSecond} new SUBSCRIBEs per second from one address (Sip:RatePerSource)."));
    }

    private async Task WatchAsync(Boot boot)
    {
        SimulationReport? report = null;
        string? failure = null;
        try
        {
            report = await boot.Run.Completion.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AskTimeoutException or InvalidOperationException or SocketException or OperationCanceledException or TimeoutException)
        {
            failure = ex.Message;
            _log.LogWarning(ex, "Simulated boot {Id} failed", boot.Id);
        }
        lock (_gate)
        {
            boot.Report = report;
            boot.Failure = failure;
            boot.FinishedAt = _time.GetUtcNow();
        }
        if (report is not null)
            _log.LogInformation("Simulated boot {Id} ended: {Provisioned} of {Phones} provisioned", boot.Id, report.Provisioned, report.Phones);
    }

    /// <inheritdoc />
    public async Task<SimulationDto?> GetCurrentAsync(CancellationToken cancellationToken)
    {
        Boot? boot;
        lock (_gate) boot = _current;
        if (boot is null) return null;
        var progress = await boot.Run.GetProgressAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate) return Snapshot(boot, progress);
    }

    /// <inheritdoc />
    public bool Stop()
    {
        Boot? boot;
        lock (_gate) boot = _current;
        if (boot is null || boot.FinishedAt is not null) return false;
        boot.StopRequested = true;
        boot.Run.Stop();
        return true;
    }

    private static SimulationDto Snapshot(Boot boot, SimulationCollector.Progress? progress)
    {
        var p = progress ?? new SimulationCollector.Progress(boot.Run.Phones, 0, 0, 0, 0, 0, 0);
        var state = boot.FinishedAt is null ? (boot.StopRequested ? "stopping" : "running")
            : boot.Failure is not null ? "failed"
            : boot.StopRequested ? "stopped"
            : "completed";
        var report = boot.Report;
        return new SimulationDto(
            boot.Id, state, boot.Run.Phones, p.Booted, p.Answered, p.Notified, p.Downloaded,
            report?.Provisioned ?? p.Provisioned, p.Finished,
            boot.Rate, boot.RateNote, boot.Target.ToString(), boot.Request.Download, boot.StartedAt, boot.FinishedAt,
            boot.Failure,
            report is null ? null : new SimulationSummaryDto(
                report.Phones, report.Provisioned, report.Outcomes, report.ByVendor,
                report.SubscribeToAnswer, report.SubscribeToNotify, report.BootToDownloaded, report.Duration.TotalSeconds));
    }

    /// <summary>The first IPv4 endpoint the PnP core's socket bound, or null when there is none (yet).</summary>
    private async Task<IPEndPoint?> BoundSipEndpointAsync(CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(RouterWait);
        try
        {
            var router = await _router.GetAsync(wait.Token).ConfigureAwait(false);
            var bound = await router.Ask<SipTransport.Bound>(DialogRouter.GetBinding.Instance, RouterWait, wait.Token).ConfigureAwait(false);
            return bound.LocalEndpoints.FirstOrDefault(e => e.AddressFamily == AddressFamily.InterNetwork);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex) when (ex is AskTimeoutException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stoppingRegistration.Dispose();
        Stop();
        _hostStopping.Cancel();
        _hostStopping.Dispose();
    }
}
