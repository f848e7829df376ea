using SnomActors.Registry.Model;
using SnomActors.Registry.Tests.Support;

namespace SnomActors.Registry.Tests.Store;

public sealed class SchemaMigrationTests
{
    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task Opening_an_empty_database_applies_every_migration_and_records_it(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = ctx.NewStore();
        Assert.Equal(0, await store.GetSchemaVersionAsync());

        await store.InitializeAsync();

        var latest = store.Migrations().Max(m => m.Version);
        Assert.True(latest >= 3);
        Assert.Equal(latest, await store.GetSchemaVersionAsync());
        Assert.Equal((long)store.Migrations().Count, Convert.ToInt64(await ctx.ScalarAsync("SELECT COUNT(*) FROM schema_migrations")));
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task Opening_the_same_database_twice_changes_nothing_and_keeps_the_data(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var first = await ctx.OpenStoreAsync();
        await first.ApplyBatchAsync(new RegistryBatch([], [Devices.Record(1)], [], []));
        await first.AddSettingsVersionAsync(SettingsScope.General, null, "<settings/>", "admin", Devices.T0);
        var version = await first.GetSchemaVersionAsync();
        await first.DisposeAsync();

        var second = await ctx.OpenStoreAsync();
        await second.InitializeAsync(); // and again on the same object

        Assert.Equal(version, await second.GetSchemaVersionAsync());
        Assert.Equal((long)second.Migrations().Count, Convert.ToInt64(await ctx.ScalarAsync("SELECT COUNT(*) FROM schema_migrations")));
        Assert.Equal(Devices.Record(1), await second.GetDeviceAsync(Devices.Mac(1)));
        Assert.Equal("<settings/>", (await second.GetCurrentSettingsAsync(SettingsScope.General, null))!.Content);
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task A_version_1_database_is_upgraded_in_place_and_its_devices_stay_allowed(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var old = ctx.NewStore();
        await old.InitializeAsync(targetVersion: 1, CancellationToken.None);
        Assert.Equal(1, await old.GetSchemaVersionAsync());
        // A row as the version-1 daemon wrote it: no admission column yet.
        await ctx.ExecuteAsync(
            "INSERT INTO devices (mac, vendor, model, first_seen, last_seen, state, call_id, subscribe_seen_at, notify_acked_at) " +
            $"VALUES ('{Devices.Mac(7)}', 'yealink', 'T46S', 1000, 2000, 'provisioned', 'c7', 1000, 2000)");
        await old.DisposeAsync();

        var upgraded = await ctx.OpenStoreAsync();

        Assert.Equal(upgraded.Migrations().Max(m => m.Version), await upgraded.GetSchemaVersionAsync());
        var device = await upgraded.GetDeviceAsync(Devices.Mac(7));
        Assert.NotNull(device);
        Assert.Equal(AdmissionState.Allowed, device.Admission);
        Assert.Equal(DeviceState.Provisioned, device.State);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(2000), device.LastSeen);
        // Tables of later migrations exist and work.
        await upgraded.UpsertVariableAsync(Devices.Mac(7), "extension", "107");
        Assert.Equal("107", (await upgraded.GetVariablesAsync(Devices.Mac(7)))["extension"]);
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task A_version_4_database_with_downloads_keeps_every_row_when_downloads_learn_what_they_served(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var old = ctx.NewStore();
        await old.InitializeAsync(targetVersion: 4, CancellationToken.None);
        Assert.Equal(4, await old.GetSchemaVersionAsync());
        // Rows as the version-4 daemon wrote them: no method, no settings document.
        await ctx.ExecuteAsync(
            "INSERT INTO devices (mac, vendor, model, first_seen, last_seen, state, call_id, subscribe_seen_at, notify_acked_at, settings_downloaded_at) " +
            $"VALUES ('{Devices.Mac(7)}', 'snom', 'snom360', 1000, 3000, 'downloaded', 'c7', 1000, 2000, 3000)");
        for (var i = 0; i < 3; i++)
            await ctx.ExecuteAsync(
                "INSERT INTO downloads (mac, at, source_ip, status, bytes, etag, path) " +
                $"VALUES ('{Devices.Mac(7)}', {3000 + i}, '10.0.0.7', {(i == 2 ? 304 : 200)}, {100 + i}, '\"e{i}\"', '/settings/{Devices.Mac(7)}.xml')");
        await old.DisposeAsync();

        var upgraded = await ctx.OpenStoreAsync();

        Assert.Equal(upgraded.Migrations().Max(m => m.Version), await upgraded.GetSchemaVersionAsync());
        Assert.True(await upgraded.GetSchemaVersionAsync() >= 5);
        var kept = await upgraded.ListDownloadsAsync(Devices.Mac(7));
        Assert.Equal([3002L, 3001L, 3000L], kept.Select(d => d.At.ToUnixTimeMilliseconds()));
        Assert.Equal([304, 200, 200], kept.Select(d => d.Status));
        Assert.Equal([102L, 101L, 100L], kept.Select(d => d.Bytes));
        Assert.All(kept, d => Assert.Null(d.Method));
        Assert.All(kept, d => Assert.Null(d.Settings));
        Assert.Equal(DeviceState.Downloaded, (await upgraded.GetDeviceAsync(Devices.Mac(7)))!.State);
        // New rows carry what they served next to the old ones.
        await upgraded.ApplyBatchAsync(new RegistryBatch([], [], [new DownloadRecord(0, Devices.Mac(7), DateTimeOffset.FromUnixTimeMilliseconds(4000), "10.0.0.7", 200, 99, null, null)
        {
            Method = "GET", Settings = new SettingsVersionRef(SettingsScope.Vendor, "snom", 2),
        }], []));
        var all = await upgraded.ListDownloadsAsync(Devices.Mac(7));
        Assert.Equal(4, all.Count);
        Assert.Equal(new SettingsVersionRef(SettingsScope.Vendor, "snom", 2), all[0].Settings);
    }
}
