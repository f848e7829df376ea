using Akka.Actor;
using SnomActors.Registry.Actors;
using SnomActors.Registry.Config;
using SnomActors.Registry.Model;
using SnomActors.Registry.Tests.Support;
using SnomActors.Server.Messages;
using SnomActors.Server.Provisioning;

namespace SnomActors.Registry.Tests.Actors;

/// <summary>
/// The router's admission cache follows the registry (issue 5 item 3): devices known at start,
/// phones seen since, an operator's approval or denial, a deletion — and only admission changes
/// travel, not every provisioning step.
/// </summary>
public sealed class AdmissionCacheFeederTests : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);
    private StoreContext _ctx = null!;
    private IActorRef _registry = null!;
    private readonly DeviceAdmissionCache _cache = new();

    public async Task InitializeAsync()
    {
        _ctx = await StoreContext.CreateAsync(StoreContext.Sqlite);
        _registry = Sys.ActorOf(DeviceRegistry.Props(await _ctx.OpenStoreAsync(), new RegistryOptions { FlushInterval = TimeSpan.FromMilliseconds(50) }));
        await AwaitAssertAsync(async () =>
            Assert.True((await _registry.Ask<DeviceRegistry.ReadyResult>(DeviceRegistry.GetReady.Instance, AskTimeout)).Ready),
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(50));
    }

    public async Task DisposeAsync()
    {
        await Sys.Terminate();
        await _ctx.DisposeAsync();
    }

    private void ExpectVerdict(int device, AdmissionVerdict verdict) =>
        AwaitAssert(() => Assert.Equal(verdict, _cache.Check(Devices.Mac(device))), TimeSpan.FromSeconds(10));

    [Fact]
    public async Task The_cache_follows_devices_known_at_start_new_phones_approvals_and_deletions()
    {
        // Known before the feeder starts: loaded from the registry's device list.
        _registry.Tell(new DeviceRegistry.RecordSighting(Devices.Identity(1), Devices.Source(1), Devices.T0));
        var quarantined = await _registry.Ask<DeviceRegistry.DeviceResult>(new DeviceRegistry.GetDevice(Devices.Mac(1)), AskTimeout);
        Assert.Equal(AdmissionState.Quarantined, quarantined.Device!.Admission);
        Sys.ActorOf(AdmissionCacheFeeder.Props(_registry, _cache));
        ExpectVerdict(1, AdmissionVerdict.Quarantined);

        // A phone provisioned since: allowed.
        foreach (var e in Devices.Exchange(2, Devices.T0)) Sys.EventStream.Publish(e);
        ExpectVerdict(2, AdmissionVerdict.Allowed);

        // The operator approves the first and denies the second; then deletes the first.
        await _registry.Ask<DeviceRegistry.DeviceResult>(new DeviceRegistry.SetAdmission(Devices.Mac(1), AdmissionState.Allowed), AskTimeout);
        ExpectVerdict(1, AdmissionVerdict.Allowed);
        await _registry.Ask<DeviceRegistry.DeviceResult>(new DeviceRegistry.SetAdmission(Devices.Mac(2), AdmissionState.Denied), AskTimeout);
        ExpectVerdict(2, AdmissionVerdict.Denied);
        await _registry.Ask<DeviceRegistry.DeviceDeleted>(new DeviceRegistry.DeleteDevice(Devices.Mac(1)), AskTimeout);
        ExpectVerdict(1, AdmissionVerdict.Unknown);
    }

    [Fact]
    public void A_provisioning_exchange_publishes_one_admission_change_for_a_new_device_and_none_for_a_known_one()
    {
        var changes = CreateTestProbe();
        Sys.EventStream.Subscribe(changes.Ref, typeof(DeviceRegistry.AdmissionChanged));
        var steps = CreateTestProbe();
        Sys.EventStream.Subscribe(steps.Ref, typeof(DeviceRegistry.DeviceChanged));

        foreach (var e in Devices.Exchange(3, Devices.T0)) Sys.EventStream.Publish(e);
        steps.ReceiveN(4);
        var change = changes.ExpectMsg<DeviceRegistry.AdmissionChanged>();
        Assert.Equal((Devices.Mac(3), AdmissionState.Allowed), (change.Mac, change.Admission));

        foreach (var e in Devices.Exchange(3, Devices.T0.AddMinutes(5), callId: "again")) Sys.EventStream.Publish(e);
        steps.ReceiveN(4);
        changes.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}
