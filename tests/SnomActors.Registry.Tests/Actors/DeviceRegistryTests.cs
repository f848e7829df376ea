using System.Net;
using Akka.Actor;
using SnomActors.Registry.Actors;
using SnomActors.Registry.Config;
using SnomActors.Registry.Metrics;
using SnomActors.Registry.Model;
using SnomActors.Registry.Store;
using SnomActors.Registry.Tests.Support;
using SnomActors.Server.Messages;
using SnomActors.Server.Metrics;
using SnomActors.Sip.Identity;

namespace SnomActors.Registry.Tests.Actors;

public sealed class DeviceRegistryTests : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);
    private StoreContext ctx = null!;
    private IRegistryStore store = null!;
    private ProbeStore probe = null!;

    public async Task InitializeAsync()
    {
        ctx = await StoreContext.CreateAsync(StoreContext.Sqlite);
        (store, probe) = ProbeStore.Wrap(await ctx.OpenStoreAsync());
    }

    public async Task DisposeAsync()
    {
        await Sys.Terminate();
        await ctx.DisposeAsync();
    }

    private static RegistryOptions Options(TimeSpan? flushInterval = null, int threshold = 2_000) => new()
    {
        FlushInterval = flushInterval ?? TimeSpan.FromMilliseconds(50),
        FlushThreshold = threshold,
        RetryInterval = TimeSpan.FromMilliseconds(100),
        MaxRetryInterval = TimeSpan.FromMilliseconds(400),
    };

    private static readonly RegistryOptions NeverByTimer = Options(TimeSpan.FromHours(1), 1_000_000);

    private async Task<IActorRef> StartAsync(RegistryOptions options, IRegistryStore? on = null)
    {
        var registry = Sys.ActorOf(DeviceRegistry.Props(on ?? store, options));
        await AwaitAssertAsync(async () =>
            Assert.True((await registry.Ask<DeviceRegistry.ReadyResult>(DeviceRegistry.GetReady.Instance, AskTimeout)).Ready),
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(50));
        return registry;
    }

    private void Publish(IEnumerable<ProvisioningEvent> events)
    {
        foreach (var e in events) Sys.EventStream.Publish(e);
    }

    private static Task<DeviceRecord?> GetAsync(IActorRef registry, int i) =>
        registry.Ask<DeviceRegistry.DeviceResult>(new DeviceRegistry.GetDevice(Devices.Mac(i)), AskTimeout).ContinueWith(t => t.Result.Device);

    [Fact]
    public async Task A_boot_storm_of_two_thousand_phones_is_written_in_a_few_transactions()
    {
        probe.WriteDelay = TimeSpan.FromMilliseconds(50); // a slow disk: batches must grow, not queue
        var registry = await StartAsync(Options(TimeSpan.FromMilliseconds(100), threshold: 2_000));

        for (var i = 0; i < 2_000; i++) Publish(Devices.Exchange(i, Devices.T0.AddMilliseconds(i)));
        await registry.Ask<DeviceRegistry.Flushed>(DeviceRegistry.Flush.Instance, AskTimeout);

        var stored = await store.ListDevicesAsync(new DeviceQuery(State: DeviceState.Provisioned, Limit: 1));
        Assert.Equal(2_000, stored.Total);
        var batches = probe.Written.ToList();
        Assert.InRange(batches.Count, 1, 12);
        Assert.Equal(8_000, batches.Sum(b => b.Events.Count));
        // 8,000 events for 2,000 devices: each device's steps coalesce into (nearly) one row.
        Assert.InRange(batches.Sum(b => b.Devices.Count), 2_000, 2_000 + batches.Count);
    }

    [Fact]
    public async Task The_steps_of_one_device_between_two_flushes_become_one_row_in_one_transaction()
    {
        var registry = await StartAsync(NeverByTimer);

        for (var i = 0; i < 10; i++) Publish(Devices.Exchange(i, Devices.T0));
        Assert.Equal(DeviceState.Provisioned, (await GetAsync(registry, 9))!.State);
        Assert.Empty(probe.Attempts);
        await registry.Ask<DeviceRegistry.Flushed>(DeviceRegistry.Flush.Instance, AskTimeout);

        var batch = Assert.Single(probe.Written);
        Assert.Equal(10, batch.Devices.Count);
        Assert.Equal(40, batch.Events.Count);
        Assert.Equal(DeviceState.Provisioned, (await store.GetDeviceAsync(Devices.Mac(3)))!.State);
    }

    [Fact]
    public async Task Nothing_accepted_is_lost_while_the_store_is_down_and_it_is_written_when_the_store_is_back()
    {
        var registry = await StartAsync(Options());
        probe.Down = true;

        for (var i = 0; i < 300; i++)
        {
            Publish(Devices.Exchange(i, Devices.T0.AddSeconds(i)));
            registry.Tell(new DeviceRegistry.RecordDownload(Devices.Mac(i), Devices.T0.AddSeconds(i + 1), "10.0.0.9", 200, 500, "\"x\"", "/s.xml"));
            if (i % 50 == 0) await Task.Delay(200); // keep accepting across several failed flushes
        }
        await AwaitAssertAsync(async () =>
        {
            var stats = await registry.Ask<RegistryStats>(DeviceRegistry.GetStats.Instance, AskTimeout);
            Assert.True(stats.FailedFlushes >= 3, $"{stats.FailedFlushes} failed flushes");
            Assert.NotNull(stats.LastStoreError);
            Assert.True(stats.PendingChanges >= 300);
        }, TimeSpan.FromSeconds(10));
        Assert.Empty(probe.Written);
        // The live view still has everything.
        Assert.Equal(DeviceState.Downloaded, (await GetAsync(registry, 299))!.State);

        probe.Down = false;
        await registry.Ask<DeviceRegistry.Flushed>(DeviceRegistry.Flush.Instance, AskTimeout);

        Assert.Equal(300, (await store.ListDevicesAsync(new DeviceQuery(State: DeviceState.Downloaded, Limit: 1))).Total);
        Assert.Single(await store.ListDownloadsAsync(Devices.Mac(123)));
        Assert.Equal(300 * 5, Convert.ToInt64(await ctx.ScalarAsync("SELECT COUNT(*) FROM device_events")));
        var after = await registry.Ask<RegistryStats>(DeviceRegistry.GetStats.Instance, AskTimeout);
        Assert.Equal(0, after.PendingChanges);
        Assert.Equal(0, after.DroppedChanges);
        Assert.Null(after.LastStoreError);
    }

    [Fact]
    public async Task Beyond_the_pending_bound_the_oldest_timeline_events_are_dropped_and_counted_but_devices_are_kept()
    {
        var registry = await StartAsync(Options() with { MaxPendingChanges = 100 });
        probe.Down = true;

        for (var i = 0; i < 50; i++) Publish(Devices.Exchange(i, Devices.T0.AddSeconds(i)));
        Assert.NotNull(await GetAsync(registry, 49));
        var stats = await registry.Ask<RegistryStats>(DeviceRegistry.GetStats.Instance, AskTimeout);
        Assert.True(stats.DroppedChanges >= 100, $"{stats.DroppedChanges} dropped");

        probe.Down = false;
        await registry.Ask<DeviceRegistry.Flushed>(DeviceRegistry.Flush.Instance, AskTimeout);
        Assert.Equal(50, (await store.ListDevicesAsync(new DeviceQuery(State: DeviceState.Provisioned))).Total);
    }

    [Fact]
    public async Task Each_written_batch_moves_the_write_latency_histogram_and_the_rows_written_by_kind()
    {
        var metrics = new RegistryMetrics();
        probe.WriteDelay = TimeSpan.FromMilliseconds(30); // a slow disk: the histogram must see it
        var registry = await StartAsync(NeverByTimer with { Metrics = metrics });

        for (var i = 0; i < 10; i++) Publish(Devices.Exchange(i, Devices.T0));
        registry.Tell(new DeviceRegistry.RecordDownload(Devices.Mac(3), Devices.T0.AddSeconds(5), "10.0.0.9", 200, 500, "\"x\"", "/s.xml"));
        Assert.NotNull(await GetAsync(registry, 9));
        Assert.Equal(0, metrics.WriteTime.Count);
        await registry.Ask<DeviceRegistry.Flushed>(DeviceRegistry.Flush.Instance, AskTimeout);

        var batch = Assert.Single(probe.Written);
        Assert.Equal(1, metrics.WriteTime.Count);
        // The 30 ms of the disk are in the measurement (timer granularity may shave a few ms off a delay).
        Assert.InRange(metrics.WriteTime.SumSeconds, 0.02, 30);
        var upTo10ms = Array.IndexOf(RegistryMetrics.WriteBucketBounds, 0.01);
        Assert.Equal(0, metrics.WriteTime.Snapshot().Take(upTo10ms + 1).Sum());
        Assert.Equal(batch.Count, metrics.RecordsWritten);
        Assert.Equal(0, metrics.WriteFailures);

        var text = Exposition(metrics);
        Assert.Contains("snomactors_registry_write_seconds_count 1\n", text);
        Assert.Contains("snomactors_registry_records_written_total{kind=\"device\"} 10\n", text);
        Assert.Contains($"snomactors_registry_records_written_total{{kind=\"event\"}} {batch.Events.Count}\n", text);
        Assert.Contains("snomactors_registry_records_written_total{kind=\"download\"} 1\n", text);
        Assert.Contains("snomactors_registry_write_failures_total 0\n", text);

        Publish(Devices.Exchange(10, Devices.T0));
        await registry.Ask<DeviceRegistry.Flushed>(DeviceRegistry.Flush.Instance, AskTimeout);
        Assert.Equal(2, metrics.WriteTime.Count);
        Assert.Equal(probe.Written.Sum(b => b.Count), metrics.RecordsWritten);
    }

    [Fact]
    public async Task Failed_writes_and_dropped_changes_are_counted_and_stay_out_of_the_latency_histogram()
    {
        var metrics = new RegistryMetrics();
        var registry = await StartAsync(Options() with { MaxPendingChanges = 100, Metrics = metrics });
        probe.Down = true;

        for (var i = 0; i < 50; i++) Publish(Devices.Exchange(i, Devices.T0.AddSeconds(i)));
        await AwaitAssertAsync(async () =>
        {
            var stats = await registry.Ask<RegistryStats>(DeviceRegistry.GetStats.Instance, AskTimeout);
            Assert.True(stats.FailedFlushes >= 1, $"{stats.FailedFlushes} failed flushes");
            Assert.True(metrics.WriteFailures >= stats.FailedFlushes); // counted as the write fails, before the actor hears of it
            Assert.Equal(stats.DroppedChanges, metrics.DroppedChanges);
            Assert.True(metrics.DroppedChanges >= 100, $"{metrics.DroppedChanges} dropped");
        }, TimeSpan.FromSeconds(10));
        Assert.Equal(0, metrics.WriteTime.Count);
        Assert.Equal(0, metrics.RecordsWritten);

        probe.Down = false;
        await registry.Ask<DeviceRegistry.Flushed>(DeviceRegistry.Flush.Instance, AskTimeout);
        Assert.Equal(probe.Written.Count, metrics.WriteTime.Count);
        Assert.Equal(probe.Attempts.Count - probe.Written.Count, metrics.WriteFailures);
        Assert.Equal((await registry.Ask<RegistryStats>(DeviceRegistry.GetStats.Instance, AskTimeout)).FailedFlushes, metrics.WriteFailures);
        Assert.Equal(50, probe.Written.Sum(b => b.Devices.Count));
        Assert.Equal(probe.Written.Sum(b => b.Count), metrics.RecordsWritten);
    }

    private static string Exposition(RegistryMetrics metrics)
    {
        using var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        metrics.Write(new PrometheusWriter(text));
        return text.ToString();
    }

    [Fact]
    public async Task A_registry_restarted_by_a_crash_writes_its_pending_changes_and_reloads_them()
    {
        var registry = await StartAsync(NeverByTimer);
        for (var i = 0; i < 20; i++) Publish(Devices.Exchange(i, Devices.T0.AddSeconds(i)));
        Assert.NotNull(await GetAsync(registry, 19));
        Assert.Empty(probe.Attempts);

        // A malformed event (no source endpoint) makes the actor throw: the supervisor restarts it.
        Sys.EventStream.Publish(new SubscribeSeen("bad", Devices.Identity(500), null!, true, Devices.T0));

        await AwaitAssertAsync(() => Assert.Single(probe.Written), TimeSpan.FromSeconds(10));
        Assert.Equal(20, (await store.GetStatsAsync()).Total);
        await AwaitAssertAsync(async () =>
            Assert.Equal(20, (await registry.Ask<DevicePage>(new DeviceRegistry.ListDevices(DeviceQuery.All), AskTimeout)).Total),
            TimeSpan.FromSeconds(10));
        Publish(Devices.Exchange(20, Devices.T0));
        Assert.Equal(DeviceState.Provisioned, (await GetAsync(registry, 20))!.State);
    }

    [Fact]
    public async Task A_SQLite_file_locked_by_another_writer_delays_the_batch_without_losing_it()
    {
        // A real SQLITE_BUSY: another process-like connection holds the write lock for 1.5 s.
        await using var own = await StoreContext.CreateAsync(StoreContext.Sqlite);
        var impatient = new SqliteRegistryStore(own.DataDirectory!, TimeSpan.FromMilliseconds(100), new StoreResilience(2, TimeSpan.FromMilliseconds(20)));
        await impatient.InitializeAsync();
        var registry = await StartAsync(Options(), impatient);
        await using var locker = await own.OpenRawAsync();
        await using (var begin = locker.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            await begin.ExecuteNonQueryAsync();
        }

        for (var i = 0; i < 100; i++) Publish(Devices.Exchange(i, Devices.T0));
        await AwaitAssertAsync(async () =>
        {
            var stats = await registry.Ask<RegistryStats>(DeviceRegistry.GetStats.Instance, AskTimeout);
            Assert.True(stats.FailedFlushes >= 1);
            Assert.Contains("locked", stats.LastStoreError, StringComparison.OrdinalIgnoreCase);
        }, TimeSpan.FromSeconds(15));
        await using (var rollback = locker.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }

        await registry.Ask<DeviceRegistry.Flushed>(DeviceRegistry.Flush.Instance, AskTimeout);
        Assert.Equal(100, (await impatient.ListDevicesAsync(new DeviceQuery(State: DeviceState.Provisioned))).Total);
        Watch(registry);
        Sys.Stop(registry);
        ExpectTerminated(registry);
        await impatient.DisposeAsync();
    }

    [Fact]
    public async Task Stopping_the_registry_writes_what_is_pending_before_it_goes()
    {
        var registry = await StartAsync(NeverByTimer);
        for (var i = 0; i < 50; i++) Publish(Devices.Exchange(i, Devices.T0));
        registry.Tell(new DeviceRegistry.RecordDownload(Devices.Mac(7), Devices.T0.AddSeconds(1), "10.0.0.7", 200, 10, null, null));
        Assert.Equal(DeviceState.Downloaded, (await GetAsync(registry, 7))!.State);
        Assert.Empty(probe.Attempts);

        Watch(registry);
        Sys.Stop(registry);
        ExpectTerminated(registry, TimeSpan.FromSeconds(15));

        Assert.Single(probe.Written);
        Assert.Equal(50, (await store.GetStatsAsync()).Total);
        Assert.Equal(DeviceState.Downloaded, (await store.GetDeviceAsync(Devices.Mac(7)))!.State);
    }

    [Fact]
    public async Task Every_applied_change_is_published_as_DeviceChanged_and_steps_of_another_call_are_ignored()
    {
        var listener = CreateTestProbe();
        Sys.EventStream.Subscribe(listener.Ref, typeof(DeviceRegistry.DeviceChanged));
        var registry = await StartAsync(Options());
        var events = Devices.Exchange(1, Devices.T0).ToList();
        var mac = Devices.Mac(1);

        Sys.EventStream.Publish(events[0]);
        Assert.Equal((mac, DeviceState.Seen), Seen(listener.ExpectMsg<DeviceRegistry.DeviceChanged>()));

        Sys.EventStream.Publish(new NotifyAcknowledged("another-call", mac, 200, Devices.T0));
        Sys.EventStream.Publish(new SubscribeAnswered("x", null, Devices.T0)); // AudioCodes: no MAC
        listener.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        Publish(events.Skip(1));
        Assert.Equal((mac, DeviceState.Answered), Seen(listener.ExpectMsg<DeviceRegistry.DeviceChanged>()));
        Assert.Equal((mac, DeviceState.Notified), Seen(listener.ExpectMsg<DeviceRegistry.DeviceChanged>()));
        Assert.Equal((mac, DeviceState.Provisioned), Seen(listener.ExpectMsg<DeviceRegistry.DeviceChanged>()));

        registry.Tell(new DeviceRegistry.RecordDownload(mac.ToUpperInvariant(), Devices.T0.AddSeconds(1), "10.0.0.2", 200, 10, null, null));
        var downloaded = listener.ExpectMsg<DeviceRegistry.DeviceChanged>().Device;
        Assert.Equal(DeviceState.Downloaded, downloaded.State);
        Assert.Equal("10.0.0.2", downloaded.LastIp);

        // A new SUBSCRIBE (reboot) starts a new attempt from scratch.
        Sys.EventStream.Publish(new SubscribeSeen("call-2", Devices.Identity(1), Devices.Source(1), true, Devices.T0.AddMinutes(1)));
        var again = listener.ExpectMsg<DeviceRegistry.DeviceChanged>().Device;
        Assert.Equal((DeviceState.Seen, "call-2", (DateTimeOffset?)null), (again.State, again.CallId, again.NotifyAckedAt));
        Assert.Equal(Devices.T0, again.FirstSeen);
    }

    [Fact]
    public async Task A_HEAD_is_listed_with_its_method_but_does_not_mark_the_device_downloaded()
    {
        var registry = await StartAsync(Options());
        Publish(Devices.Exchange(1, Devices.T0));
        await AwaitAssertAsync(async () => Assert.Equal(DeviceState.Provisioned, (await GetAsync(registry, 1))!.State));
        var served = new SettingsVersionRef(SettingsScope.General, "", 1);

        registry.Tell(new DeviceRegistry.RecordDownload(Devices.Mac(1), Devices.T0.AddSeconds(1), "10.0.0.2", 200, 0, "\"e\"", "/s.xml")
        { Method = "head", Settings = served });
        var afterHead = await registry.Ask<DeviceRegistry.DownloadList>(new DeviceRegistry.ListDownloads(Devices.Mac(1), 10), AskTimeout);
        Assert.Equal("HEAD", Assert.Single(afterHead.Downloads).Method);
        Assert.Equal(served, afterHead.Downloads[0].Settings);
        var device = (await GetAsync(registry, 1))!;
        Assert.Equal(DeviceState.Provisioned, device.State);
        Assert.Null(device.SettingsDownloadedAt);

        // The GET that follows is the download.
        registry.Tell(new DeviceRegistry.RecordDownload(Devices.Mac(1), Devices.T0.AddSeconds(2), "10.0.0.2", 200, 42, "\"e\"", "/s.xml")
        { Method = "GET", Settings = served });
        await AwaitAssertAsync(async () => Assert.Equal(DeviceState.Downloaded, (await GetAsync(registry, 1))!.State));
        Assert.Equal(Devices.T0.AddSeconds(2), (await GetAsync(registry, 1))!.SettingsDownloadedAt);
    }

    private static (string, DeviceState) Seen(DeviceRegistry.DeviceChanged changed) => (changed.Device.Mac, changed.Device.State);

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task A_new_registry_on_the_same_database_has_every_record_of_the_previous_one(string kind)
    {
        await using var own = await StoreContext.CreateAsync(kind);
        var first = await StartAsync(Options(), await own.OpenStoreAsync());
        for (var i = 0; i < 20; i++) Publish(Devices.Exchange(i, Devices.T0.AddSeconds(i)));
        Assert.NotNull(await GetAsync(first, 19));
        await first.Ask<DeviceRegistry.DeviceResult>(new DeviceRegistry.SetAdmission(Devices.Mac(3), AdmissionState.Quarantined), AskTimeout);
        Watch(first);
        first.Tell(PoisonPill.Instance);
        ExpectTerminated(first, TimeSpan.FromSeconds(15));

        var second = await StartAsync(Options(), await own.OpenStoreAsync());

        var page = await second.Ask<DevicePage>(new DeviceRegistry.ListDevices(DeviceQuery.All), AskTimeout);
        Assert.Equal(20, page.Total);
        Assert.All(page.Devices, d => Assert.Equal(DeviceState.Provisioned, d.State));
        Assert.Equal(AdmissionState.Quarantined, (await GetAsync(second, 3))!.Admission);
        // and it goes on from there: a step of the stored attempt still applies
        Sys.EventStream.Publish(new ProvisioningFailed("call-5", Devices.Mac(5), "rejected", 481, Devices.T0.AddMinutes(1)));
        await AwaitAssertAsync(async () => Assert.Equal(DeviceState.Failed, (await GetAsync(second, 5))!.State));
        Watch(second);
        Sys.Stop(second); // before this test's database goes away
        ExpectTerminated(second, TimeSpan.FromSeconds(15));
        Assert.Equal(DeviceState.Failed, (await (await own.OpenStoreAsync()).GetDeviceAsync(Devices.Mac(5)))!.State);
    }

    [Fact]
    public async Task A_registry_started_while_the_store_is_down_reports_not_ready_and_keeps_what_arrives_meanwhile()
    {
        probe.Down = true;
        var registry = Sys.ActorOf(DeviceRegistry.Props(store, Options()));
        await AwaitAssertAsync(async () =>
        {
            var ready = await registry.Ask<DeviceRegistry.ReadyResult>(DeviceRegistry.GetReady.Instance, AskTimeout);
            Assert.False(ready.Ready);
            Assert.Contains("database down", ready.Error);
        }, TimeSpan.FromSeconds(10));
        Publish(Devices.Exchange(1, Devices.T0));

        probe.Down = false;

        Assert.Equal(DeviceState.Provisioned, (await GetAsync(registry, 1))!.State);
        Assert.True((await registry.Ask<DeviceRegistry.ReadyResult>(DeviceRegistry.GetReady.Instance, AskTimeout)).Ready);
    }

    [Fact]
    public async Task Device_queries_see_changes_before_they_are_written_and_store_queries_after_a_flush()
    {
        var registry = await StartAsync(NeverByTimer);
        for (var i = 0; i < 5; i++) Publish(Devices.Exchange(i, Devices.T0.AddSeconds(i)));
        registry.Tell(new DeviceRegistry.RecordDownload(Devices.Mac(2), Devices.T0.AddSeconds(10), "10.0.0.3", 200, 42, "\"e\"", "/settings/x.xml"));
        registry.Tell(new DeviceRegistry.RecordDownload(Devices.Mac(99), Devices.T0.AddSeconds(10), "10.0.0.3", 404, 0, null, "/settings/y.xml"));

        var page = await registry.Ask<DevicePage>(new DeviceRegistry.ListDevices(new DeviceQuery(Search: "00:04:13:00:00:0")), AskTimeout);
        Assert.Equal(5, page.Total);
        Assert.Empty(probe.Attempts);
        var stats = await registry.Ask<RegistryStats>(DeviceRegistry.GetStats.Instance, AskTimeout);
        Assert.Equal((5, 4, 1), (stats.Total, stats.ByState[DeviceState.Provisioned], stats.ByState[DeviceState.Downloaded]));
        Assert.True(stats.PendingChanges > 0);

        var downloads = await registry.Ask<DeviceRegistry.DownloadList>(new DeviceRegistry.ListDownloads(Devices.Mac(2)), AskTimeout);
        Assert.Equal(42, Assert.Single(downloads.Downloads).Bytes);
        // A download of an unknown MAC is kept, but does not invent a device.
        Assert.Equal(404, Assert.Single((await registry.Ask<DeviceRegistry.DownloadList>(new DeviceRegistry.ListDownloads(Devices.Mac(99)), AskTimeout)).Downloads).Status);
        Assert.Null(await GetAsync(registry, 99));

        var timeline = await registry.Ask<ProvisioningTimeline>(
            new DeviceRegistry.GetTimeline(Devices.T0, Devices.T0.AddMinutes(1), TimeSpan.FromMinutes(1)), AskTimeout);
        Assert.Equal((5, 5, 1), (timeline.Buckets[0].Seen, timeline.Buckets[0].Provisioned, timeline.Buckets[0].Downloaded));
        var events = await registry.Ask<DeviceRegistry.EventList>(new DeviceRegistry.ListEvents(Devices.Mac(2)), AskTimeout);
        Assert.Equal([DeviceEventKind.Downloaded, DeviceEventKind.Provisioned, DeviceEventKind.Notified, DeviceEventKind.Answered, DeviceEventKind.Seen],
            events.Events.Select(e => e.Kind));
    }

    [Fact]
    public async Task Admission_changes_and_deletes_are_applied_published_and_persisted()
    {
        var removed = CreateTestProbe();
        Sys.EventStream.Subscribe(removed.Ref, typeof(DeviceRegistry.DeviceRemoved));
        var registry = await StartAsync(Options());
        Publish(Devices.Exchange(1, Devices.T0));
        Publish(Devices.Exchange(2, Devices.T0));
        Assert.NotNull(await GetAsync(registry, 2));

        var unknown = await registry.Ask<DeviceRegistry.DeviceResult>(new DeviceRegistry.SetAdmission(Devices.Mac(3), AdmissionState.Allowed), AskTimeout);
        Assert.Null(unknown.Device);
        var denied = await registry.Ask<DeviceRegistry.DeviceResult>(new DeviceRegistry.SetAdmission("00:04:13:00:00:01", AdmissionState.Denied), AskTimeout);
        Assert.Equal(AdmissionState.Denied, denied.Device!.Admission);
        Assert.Equal(new DeviceRegistry.AdmissionResult(Devices.Mac(1), AdmissionState.Denied),
            await registry.Ask<DeviceRegistry.AdmissionResult>(new DeviceRegistry.GetAdmission(Devices.Mac(1)), AskTimeout));
        Assert.Equal(new DeviceRegistry.AdmissionResult(Devices.Mac(3), null),
            await registry.Ask<DeviceRegistry.AdmissionResult>(new DeviceRegistry.GetAdmission(Devices.Mac(3)), AskTimeout));

        var deleted = await registry.Ask<DeviceRegistry.DeviceDeleted>(new DeviceRegistry.DeleteDevice(Devices.Mac(2)), AskTimeout);
        Assert.True(deleted.Existed);
        Assert.Equal(Devices.Mac(2), removed.ExpectMsg<DeviceRegistry.DeviceRemoved>().Mac);
        Assert.Null(await GetAsync(registry, 2));
        await registry.Ask<DeviceRegistry.Flushed>(DeviceRegistry.Flush.Instance, AskTimeout);

        Assert.Equal(AdmissionState.Denied, (await store.GetDeviceAsync(Devices.Mac(1)))!.Admission);
        Assert.Null(await store.GetDeviceAsync(Devices.Mac(2)));
        Assert.Empty(await store.ListEventsAsync(Devices.Mac(2)));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            registry.Ask<DeviceRegistry.DeviceDeleted>(new DeviceRegistry.DeleteDevice("../../x"), AskTimeout));
    }

    [Fact]
    public async Task A_quarantined_sighting_lists_the_device_without_starting_an_attempt()
    {
        var registry = await StartAsync(Options());
        var identity = new DeviceIdentity(Devices.Mac(5), Vendors.Yealink, "T46S", "66.86.0.15", "Yealink SIP-T46S 66.86.0.15");

        registry.Tell(new DeviceRegistry.RecordSighting(identity, new IPEndPoint(IPAddress.Parse("10.0.0.5"), 5062), Devices.T0));

        var device = (await GetAsync(registry, 5))!;
        Assert.Equal((AdmissionState.Quarantined, "T46S", "10.0.0.5", 5062, (string?)null), (device.Admission, device.Model, device.LastIp, device.LastPort, device.CallId));
        var quarantined = await registry.Ask<DevicePage>(new DeviceRegistry.ListDevices(new DeviceQuery(Admission: AdmissionState.Quarantined)), AskTimeout);
        Assert.Equal(Devices.Mac(5), Assert.Single(quarantined.Devices).Mac);
    }

    [Fact]
    public async Task Settings_and_variables_go_through_the_registry_and_resolve_for_a_device()
    {
        var registry = await StartAsync(Options());
        Publish(Devices.Exchange(1, Devices.T0));
        Assert.NotNull(await GetAsync(registry, 1));

        var general = await registry.Ask<SettingsDocumentVersion>(new DeviceRegistry.AddSettingsVersion(SettingsScope.General, null, "<general/>", "admin"), AskTimeout);
        var model = await registry.Ask<SettingsDocumentVersion>(new DeviceRegistry.AddSettingsVersion(SettingsScope.Model, "snom710", "<m/>", "admin"), AskTimeout);
        await registry.Ask<DeviceRegistry.VariablesSaved>(new DeviceRegistry.ImportVariables(
            [new DeviceVariables(Devices.Mac(1), new Dictionary<string, string> { ["extension"] = "101" })], VariableImportMode.Merge), AskTimeout);
        await registry.Ask<DeviceRegistry.VariablesSaved>(new DeviceRegistry.SetVariable(Devices.Mac(1), "display_name", "Reception"), AskTimeout);

        var resolved = await registry.Ask<DeviceRegistry.ResolvedSettings>(new DeviceRegistry.ResolveSettings("00:04:13:00:00:01"), AskTimeout);
        Assert.Equal(model, resolved.Document);
        Assert.Equal(Devices.Mac(1), resolved.Device!.Mac);
        Assert.Equal(new Dictionary<string, string> { ["display_name"] = "Reception", ["extension"] = "101" }, resolved.Variables);
        var stranger = await registry.Ask<DeviceRegistry.ResolvedSettings>(new DeviceRegistry.ResolveSettings(Devices.Mac(2), "yealink", "T46S"), AskTimeout);
        Assert.Equal((general, (DeviceRecord?)null), (stranger.Document, stranger.Device));

        var docs = await registry.Ask<DeviceRegistry.SettingsDocumentList>(DeviceRegistry.ListSettingsDocuments.Instance, AskTimeout);
        Assert.Equal(2, docs.Documents.Count);
        Assert.True((await registry.Ask<DeviceRegistry.SettingsDeleted>(new DeviceRegistry.DeleteSettingsDocument(SettingsScope.Model, "snom710"), AskTimeout)).Existed);
        Assert.Null((await registry.Ask<DeviceRegistry.SettingsResult>(new DeviceRegistry.GetSettings(SettingsScope.Model, "snom710"), AskTimeout)).Document);
        Assert.Equal("<m/>", (await registry.Ask<DeviceRegistry.SettingsResult>(new DeviceRegistry.GetSettings(SettingsScope.Model, "snom710", 1), AskTimeout)).Document!.Content);
        Assert.Single((await registry.Ask<DeviceRegistry.VariablesExport>(DeviceRegistry.ExportVariables.Instance, AskTimeout)).Rows);
        await Assert.ThrowsAsync<ArgumentException>(() =>
            registry.Ask<SettingsDocumentVersion>(new DeviceRegistry.AddSettingsVersion(SettingsScope.Mac, "nope", "<x/>", null), AskTimeout));
    }
}
