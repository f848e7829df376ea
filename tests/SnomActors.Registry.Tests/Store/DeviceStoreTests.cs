using SnomActors.Registry.Model;
using SnomActors.Registry.Tests.Support;
using SnomActors.Sip.Identity;

namespace SnomActors.Registry.Tests.Store;

public sealed class DeviceStoreTests
{
    private static DeviceRecord FullRecord() => Devices.Record(1) with
    {
        Admission = AdmissionState.Quarantined,
        AnsweredAt = Devices.T0.AddMilliseconds(5),
        NotifySentAt = Devices.T0.AddMilliseconds(9),
        NotifyUrl = "http://10.0.0.1:8080/settings/000413000001.xml",
        NotifyAckedAt = Devices.T0.AddMilliseconds(40),
        FailedAt = Devices.T0.AddSeconds(40),
        FailureReason = "rejected",
        FailureStatus = 481,
        SettingsDownloadedAt = Devices.T0.AddSeconds(2),
        LastSeen = Devices.T0.AddSeconds(40),
    };

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task A_device_row_round_trips_every_field_and_an_upsert_overwrites_it(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await ctx.OpenStoreAsync();
        var full = FullRecord();

        await store.ApplyBatchAsync(new RegistryBatch([], [Devices.Record(1)], [], []));
        await store.ApplyBatchAsync(new RegistryBatch([], [full], [], []));

        var read = await store.GetDeviceAsync("00:04:13:00:00:01");
        Assert.Equal(full, read);
        Assert.Equal(DeviceState.Failed, read!.State);
        Assert.Null(await store.GetDeviceAsync(Devices.Mac(2)));
        Assert.Single(await store.LoadAllDevicesAsync());
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task Ten_thousand_devices_and_their_events_are_written_in_one_batch(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await ctx.OpenStoreAsync();
        var devices = Enumerable.Range(0, 10_000).Select(i => Devices.Record(i, Devices.T0.AddMilliseconds(i))).ToList();
        var events = devices.Select(d => new DeviceEvent(d.Mac, d.FirstSeen, DeviceEventKind.Seen, d.CallId)).ToList();

        await store.ApplyBatchAsync(new RegistryBatch([], devices, [], events));

        Assert.Equal(10_000, (await store.GetStatsAsync()).Total);
        Assert.Equal(10_000L, Convert.ToInt64(await ctx.ScalarAsync("SELECT COUNT(*) FROM device_events")));
    }

    private static async Task<Registry.Store.RegistryStoreBase> SeededAsync(StoreContext ctx)
    {
        var store = await ctx.OpenStoreAsync();
        var rows = new List<DeviceRecord>
        {
            Devices.Record(1, Devices.T0.AddMinutes(1)),
            Devices.Record(2, Devices.T0.AddMinutes(2)) with { NotifyAckedAt = Devices.T0.AddMinutes(2) },
            Devices.Record(3, Devices.T0.AddMinutes(3), Vendors.Yealink, "T46S") with { UserAgent = "Yealink SIP-T46S 66.86.0.15" },
            Devices.Record(4, Devices.T0.AddMinutes(4), Vendors.Yealink, "T54W") with { Admission = AdmissionState.Quarantined },
            Devices.Record(5, Devices.T0.AddMinutes(5), Vendors.Gigaset, null) with { FailedAt = Devices.T0.AddMinutes(5), FailureReason = "timeout" },
            Devices.Record(6, Devices.T0.AddMinutes(6)) with { SettingsDownloadedAt = Devices.T0.AddMinutes(6), LastIp = "192.168.7.77" },
            Devices.Record(7, Devices.T0.AddMinutes(7), Vendors.Snom, "snom_100%") with { Admission = AdmissionState.Denied },
        };
        await store.ApplyBatchAsync(new RegistryBatch([], rows, [], []));
        return store;
    }

    public static TheoryData<string, DeviceQuery, string[]> Queries()
    {
        var data = new TheoryData<string, DeviceQuery, string[]>();
        foreach (var kind in new[] { StoreContext.Sqlite, StoreContext.Postgres })
        {
            data.Add(kind, DeviceQuery.All, [Devices.Mac(7), Devices.Mac(6), Devices.Mac(5), Devices.Mac(4), Devices.Mac(3), Devices.Mac(2), Devices.Mac(1)]);
            data.Add(kind, new DeviceQuery(Search: "00:04:13:00:00:03"), [Devices.Mac(3)]);
            data.Add(kind, new DeviceQuery(Search: "YEALINK"), [Devices.Mac(4), Devices.Mac(3)]);
            data.Add(kind, new DeviceQuery(Search: "t46"), [Devices.Mac(3)]);
            data.Add(kind, new DeviceQuery(Search: "192.168.7"), [Devices.Mac(6)]);
            data.Add(kind, new DeviceQuery(Search: "66.86.0"), [Devices.Mac(3)]);
            data.Add(kind, new DeviceQuery(Search: "100%"), [Devices.Mac(7)]);
            data.Add(kind, new DeviceQuery(Search: "_"), [Devices.Mac(7)]);
            data.Add(kind, new DeviceQuery(Vendor: "Yealink"), [Devices.Mac(4), Devices.Mac(3)]);
            data.Add(kind, new DeviceQuery(State: DeviceState.Provisioned), [Devices.Mac(2)]);
            data.Add(kind, new DeviceQuery(State: DeviceState.Failed), [Devices.Mac(5)]);
            data.Add(kind, new DeviceQuery(State: DeviceState.Downloaded), [Devices.Mac(6)]);
            data.Add(kind, new DeviceQuery(Admission: AdmissionState.Quarantined), [Devices.Mac(4)]);
            data.Add(kind, new DeviceQuery(Vendor: "snom", State: DeviceState.Seen), [Devices.Mac(7), Devices.Mac(1)]);
            data.Add(kind, new DeviceQuery(Offset: 2, Limit: 2), [Devices.Mac(5), Devices.Mac(4)]);
            data.Add(kind, new DeviceQuery(Search: "nothing-like-this"), []);
        }
        return data;
    }

    [SkippableTheory, MemberData(nameof(Queries))]
    public async Task Device_lists_filter_and_page_exactly_like_the_in_memory_view(string kind, DeviceQuery query, string[] expected)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await SeededAsync(ctx);

        var page = await store.ListDevicesAsync(query);
        var inMemory = DeviceFilter.Apply(await store.LoadAllDevicesAsync(), query);

        Assert.Equal(expected, page.Devices.Select(d => d.Mac));
        Assert.Equal(inMemory.Devices.Select(d => d.Mac), page.Devices.Select(d => d.Mac));
        Assert.Equal(inMemory.Total, page.Total);
        if (query.Offset == 0) Assert.Equal(expected.Length, page.Total);
        else Assert.Equal(7, page.Total);
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task Stats_count_devices_per_state_admission_and_vendor(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await SeededAsync(ctx);

        var stats = await store.GetStatsAsync();

        Assert.Equal(7, stats.Total);
        Assert.Equal(4, stats.ByState[DeviceState.Seen]); // 1, 3, 4 and 7
        Assert.Equal(1, stats.ByState[DeviceState.Provisioned]);
        Assert.Equal(1, stats.ByState[DeviceState.Failed]);
        Assert.Equal(1, stats.ByState[DeviceState.Downloaded]);
        Assert.Equal(0, stats.ByState[DeviceState.Notified]);
        Assert.Equal(2, stats.ProvisionedOrDownloaded);
        Assert.Equal(5, stats.ByAdmission[AdmissionState.Allowed]);
        Assert.Equal(1, stats.ByAdmission[AdmissionState.Denied]);
        Assert.Equal(4, stats.ByVendor[Vendors.Snom]);
        Assert.Equal(2, stats.ByVendor[Vendors.Yealink]);
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task Deleting_a_device_removes_its_downloads_and_events_but_keeps_its_variables(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await ctx.OpenStoreAsync();
        var mac = Devices.Mac(1);
        await store.ApplyBatchAsync(new RegistryBatch([], [Devices.Record(1), Devices.Record(2)],
            [new DownloadRecord(0, mac, Devices.T0, "10.0.0.2", 200, 1234, "\"e1\"", "/settings/x.xml"),
             new DownloadRecord(0, Devices.Mac(2), Devices.T0, "10.0.0.3", 200, 1, null, null)],
            [new DeviceEvent(mac, Devices.T0, DeviceEventKind.Seen, "call-1"), new DeviceEvent(Devices.Mac(2), Devices.T0, DeviceEventKind.Seen, "call-2")]));
        await store.UpsertVariableAsync(mac, "extension", "101");

        Assert.True(await store.DeleteDeviceAsync(mac));
        Assert.False(await store.DeleteDeviceAsync(mac));

        Assert.Null(await store.GetDeviceAsync(mac));
        Assert.Empty(await store.ListDownloadsAsync(mac));
        Assert.Empty(await store.ListEventsAsync(mac));
        Assert.Equal("101", (await store.GetVariablesAsync(mac))["extension"]);
        Assert.Single(await store.ListDownloadsAsync(Devices.Mac(2)));
        Assert.Single(await store.ListEventsAsync(Devices.Mac(2)));
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task A_batch_applies_deletes_before_upserts_so_a_device_seen_again_after_a_delete_survives(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await ctx.OpenStoreAsync();
        await store.ApplyBatchAsync(new RegistryBatch([], [Devices.Record(1)], [], [new DeviceEvent(Devices.Mac(1), Devices.T0, DeviceEventKind.Seen, "old")]));

        var again = Devices.Record(1, Devices.T0.AddHours(1));
        await store.ApplyBatchAsync(new RegistryBatch([Devices.Mac(1)], [again], [],
            [new DeviceEvent(Devices.Mac(1), again.LastSeen, DeviceEventKind.Seen, "new")]));

        Assert.Equal(again, await store.GetDeviceAsync(Devices.Mac(1)));
        Assert.Equal(["new"], (await store.ListEventsAsync(Devices.Mac(1))).Select(e => e.CallId));
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task Downloads_are_all_kept_and_listed_newest_first(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await ctx.OpenStoreAsync();
        var mac = Devices.Mac(1);
        var downloads = Enumerable.Range(0, 5)
            .Select(i => new DownloadRecord(0, mac, Devices.T0.AddSeconds(i), "10.0.0.2", i == 4 ? 304 : 200, 100 + i, $"\"e{i}\"", $"/settings/{mac}.xml"))
            .ToList();

        await store.ApplyBatchAsync(new RegistryBatch([], [], downloads.Take(3).ToList(), []));
        await store.ApplyBatchAsync(new RegistryBatch([], [], downloads.Skip(3).ToList(), []));

        var listed = await store.ListDownloadsAsync(mac);
        Assert.Equal(5, listed.Count);
        Assert.Equal(downloads.AsEnumerable().Reverse().Select(d => d with { Id = 0 }), listed.Select(d => d with { Id = 0 }));
        Assert.All(listed, d => Assert.True(d.Id > 0));
        Assert.Equal(2, (await store.ListDownloadsAsync(mac, limit: 2)).Count);
        Assert.Empty(await store.ListDownloadsAsync(Devices.Mac(2)));
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task A_download_keeps_its_method_and_the_settings_document_version_it_served(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await ctx.OpenStoreAsync();
        var mac = Devices.Mac(1);
        var model = new DownloadRecord(0, mac, Devices.T0, "10.0.0.2", 200, 321, "\"e1\"", $"/settings/{mac}.xml")
        {
            Method = "GET", Settings = new SettingsVersionRef(SettingsScope.Model, "snom-d735", 3),
        };
        // The general document's key is the empty string: it must come back as "", not as "no document".
        var general = new DownloadRecord(0, mac, Devices.T0.AddSeconds(1), "10.0.0.2", 304, 0, "\"e1\"", $"/settings/{mac}.xml")
        {
            Method = "HEAD", Settings = new SettingsVersionRef(SettingsScope.General, "", 12),
        };
        var refused = new DownloadRecord(0, mac, Devices.T0.AddSeconds(2), "10.0.0.2", 404, 0, null, $"/settings/{mac}.xml") { Method = "GET" };

        await store.ApplyBatchAsync(new RegistryBatch([], [], [model, general, refused], []));

        var listed = (await store.ListDownloadsAsync(mac)).Select(d => d with { Id = 0 }).ToList();
        Assert.Equal([refused, general, model], listed);
        Assert.Equal(new SettingsVersionRef(SettingsScope.Model, "snom-d735", 3), listed[2].Settings);
        Assert.Equal("HEAD", listed[1].Method);
        Assert.Null(listed[0].Settings);
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task The_timeline_counts_events_per_bucket_including_empty_buckets(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await ctx.OpenStoreAsync();
        var events = new List<DeviceEvent>();
        // minute 0: 3 seen, 2 provisioned; minute 2: 1 provisioned, 1 failed; minute 5 (outside): 1 provisioned
        for (var i = 0; i < 3; i++) events.Add(new DeviceEvent(Devices.Mac(i), Devices.T0.AddSeconds(i), DeviceEventKind.Seen, null));
        for (var i = 0; i < 2; i++) events.Add(new DeviceEvent(Devices.Mac(i), Devices.T0.AddSeconds(30 + i), DeviceEventKind.Provisioned, null));
        events.Add(new DeviceEvent(Devices.Mac(2), Devices.T0.AddMinutes(2).AddSeconds(59), DeviceEventKind.Provisioned, null));
        events.Add(new DeviceEvent(Devices.Mac(3), Devices.T0.AddMinutes(2), DeviceEventKind.Failed, null));
        events.Add(new DeviceEvent(Devices.Mac(4), Devices.T0.AddMinutes(5), DeviceEventKind.Provisioned, null));
        await store.ApplyBatchAsync(new RegistryBatch([], [], [], events));

        var timeline = await store.GetTimelineAsync(Devices.T0.AddSeconds(20), Devices.T0.AddMinutes(4), TimeSpan.FromMinutes(1));

        Assert.Equal(Devices.T0, timeline.From);
        Assert.Equal(Devices.T0.AddMinutes(4), timeline.To);
        Assert.Equal([3, 0, 0, 0], timeline.Buckets.Select(b => b.Seen));
        Assert.Equal([2, 0, 1, 0], timeline.Buckets.Select(b => b.Provisioned));
        Assert.Equal([0, 0, 1, 0], timeline.Buckets.Select(b => b.Failed));
        Assert.Equal(Devices.T0.AddMinutes(2), timeline.Buckets[2].Start);

        var perSecond = await store.GetTimelineAsync(Devices.T0, Devices.T0.AddMinutes(1), TimeSpan.FromSeconds(1));
        Assert.Equal(60, perSecond.Buckets.Count);
        Assert.Equal(1, perSecond.Buckets[30].Provisioned);

        Assert.Equal(7, await store.PruneEventsAsync(Devices.T0.AddMinutes(5)));
        Assert.Equal(1, (await store.GetTimelineAsync(Devices.T0, Devices.T0.AddMinutes(10), TimeSpan.FromMinutes(10))).Buckets.Single().Provisioned);
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task Malformed_MACs_are_rejected_before_any_query(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await ctx.OpenStoreAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => store.GetDeviceAsync("../etc/passwd"));
        await Assert.ThrowsAsync<ArgumentException>(() => store.ListDownloadsAsync("0004132"));
        await Assert.ThrowsAsync<ArgumentException>(() => store.DeleteDeviceAsync("ffffffffffff"));
    }
}
