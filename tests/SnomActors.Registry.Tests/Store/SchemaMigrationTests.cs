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
}
