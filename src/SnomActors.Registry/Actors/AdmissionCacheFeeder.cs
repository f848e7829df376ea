using Akka.Actor;
using Akka.Event;
using SnomActors.Registry.Model;
using SnomActors.Server.Messages;
using SnomActors.Server.Provisioning;

namespace SnomActors.Registry.Actors;

/// <summary>
/// Keeps the PnP router's <see cref="DeviceAdmissionCache"/> in step with the registry (issue 5
/// item 3): loads every device's admission at start, follows <see cref="DeviceRegistry.AdmissionChanged"/>
/// and <see cref="DeviceRegistry.DeviceRemoved"/>, and records quarantined phones the router turned
/// away so that they are listed for an operator to approve.
/// </summary>
public sealed class AdmissionCacheFeeder : ReceiveActor, IWithTimers
{
    private const int PageSize = 10_000;
    private readonly IActorRef _registry;
    private readonly DeviceAdmissionCache _cache;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private int _offset;

    /// <summary>Use <see cref="Props"/>.</summary>
    public AdmissionCacheFeeder(IActorRef registry, DeviceAdmissionCache cache)
    {
        _registry = registry;
        _cache = cache;
        Receive<DeviceRegistry.AdmissionChanged>(changed => _cache.Set(changed.Mac, ToVerdict(changed.Admission)));
        Receive<DeviceRegistry.DeviceRemoved>(removed => _cache.Remove(removed.Mac));
        Receive<DeviceQuarantined>(q => _registry.Tell(new DeviceRegistry.RecordSighting(q.Device, q.Source, q.At, AdmissionState.Quarantined)));
        Receive<DevicePage>(OnPage);
        Receive<Status.Failure>(failure =>
        {
            // The registry retries its store on its own; ask again shortly.
            _log.Warning("Loading device admissions failed ({0}); retrying", failure.Cause.Message);
            Timers.StartSingleTimer(nameof(LoadNextPage), new LoadNextPage(), TimeSpan.FromSeconds(2));
        });
        Receive<LoadNextPage>(_ => RequestPage());
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the feeder of <paramref name="cache"/> from <paramref name="registry"/>.</summary>
    public static Props Props(IActorRef registry, DeviceAdmissionCache cache) =>
        Akka.Actor.Props.Create<AdmissionCacheFeeder>(registry, cache);

    private sealed record LoadNextPage;

    /// <inheritdoc />
    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe<DeviceRegistry.AdmissionChanged>(Self);
        Context.System.EventStream.Subscribe<DeviceRegistry.DeviceRemoved>(Self);
        Context.System.EventStream.Subscribe<DeviceQuarantined>(Self);
        RequestPage();
    }

    /// <inheritdoc />
    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void RequestPage() =>
        _registry.Ask<DevicePage>(new DeviceRegistry.ListDevices(new DeviceQuery(Offset: _offset, Limit: PageSize)), TimeSpan.FromSeconds(30))
            .PipeTo(Self, success: page => page, failure: ex => new Status.Failure(ex));

    private void OnPage(DevicePage page)
    {
        foreach (var device in page.Devices) _cache.Set(device.Mac, ToVerdict(device.Admission));
        _offset += page.Devices.Count;
        if (page.Devices.Count == PageSize && _offset < page.Total) RequestPage();
        else _log.Info("Device admissions loaded: {0} devices", _cache.Count);
    }

    private static AdmissionVerdict ToVerdict(AdmissionState state) => state switch
    {
        AdmissionState.Allowed => AdmissionVerdict.Allowed,
        AdmissionState.Quarantined => AdmissionVerdict.Quarantined,
        _ => AdmissionVerdict.Denied,
    };
}
