using Akka.Actor;
using SnomActors.Registry.Actors;
using SnomActors.Registry.Config;
using SnomActors.Registry.Model;
using SnomActors.Registry.Tests.Support;
using SnomActors.Server.Provisioning;

namespace SnomActors.Registry.Tests.Security;

/// <summary>Issue 5 item 4: per-device download tokens are stored, loaded at start and rotated through the registry.</summary>
public sealed class DownloadTokenStoreTests
{
    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task Tokens_written_in_a_batch_are_loaded_back_and_a_newer_one_replaces_the_older(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await ctx.OpenStoreAsync();
        await store.ApplyBatchAsync(new RegistryBatch([], [Devices.Record(1)], [], [])
        {
            Tokens = [new DownloadTokenIssued(Devices.Mac(1), "first-token", Devices.T0), new DownloadTokenIssued(Devices.Mac(2), "other-token", Devices.T0)],
        });
        await store.ApplyBatchAsync(new RegistryBatch([], [], [], []) { Tokens = [new DownloadTokenIssued(Devices.Mac(1), "rotated-token", Devices.T0.AddMinutes(1))] });

        var loaded = await store.LoadDownloadTokensAsync();

        Assert.Equal(2, loaded.Count);
        Assert.Equal("rotated-token", loaded[Devices.Mac(1)]);
        Assert.Equal("other-token", loaded[Devices.Mac(2)]);
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task A_deleted_device_keeps_its_token_like_its_variables(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var store = await ctx.OpenStoreAsync();
        await store.ApplyBatchAsync(new RegistryBatch([], [Devices.Record(3)], [], []));
        await store.SetDownloadTokenAsync(Devices.Mac(3), "kept-token", Devices.T0);

        Assert.True(await store.DeleteDeviceAsync(Devices.Mac(3)));

        Assert.Equal("kept-token", (await store.LoadDownloadTokensAsync())[Devices.Mac(3)]);
    }

    [SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]
    public async Task A_version_3_database_is_upgraded_to_hold_tokens_and_keeps_its_devices(string kind)
    {
        await using var ctx = await StoreContext.CreateAsync(kind);
        var old = ctx.NewStore();
        await old.InitializeAsync(targetVersion: 3, CancellationToken.None);
        Assert.Equal(3, await old.GetSchemaVersionAsync());
        // A row as the version-3 daemon wrote it (raw SQL: the store object would migrate before writing).
        await ctx.ExecuteAsync(
            "INSERT INTO devices (mac, vendor, model, first_seen, last_seen, state, admission, call_id, subscribe_seen_at) " +
            $"VALUES ('{Devices.Mac(4)}', 'snom', 'snom710', 1000, 2000, 'seen', 'allowed', 'c4', 1000)");
        await old.DisposeAsync();

        var upgraded = await ctx.OpenStoreAsync();

        Assert.True(await upgraded.GetSchemaVersionAsync() >= 4);
        Assert.Equal("snom710", (await upgraded.GetDeviceAsync(Devices.Mac(4)))?.Model);
        Assert.Empty(await upgraded.LoadDownloadTokensAsync());
        await upgraded.SetDownloadTokenAsync(Devices.Mac(4), "new-token", Devices.T0);
        Assert.Equal("new-token", (await upgraded.LoadDownloadTokensAsync())[Devices.Mac(4)]);
    }
}

/// <summary>The registry actor persists what the shared token table issues and fills it at start.</summary>
public sealed class DownloadTokenRegistryActorTests : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);
    private static readonly DownloadProtectionPolicy TokenForAll = new() { Default = DownloadProtectionMode.Token };
    private StoreContext ctx = null!;

    public async Task InitializeAsync() => ctx = await StoreContext.CreateAsync(StoreContext.Sqlite);

    public async Task DisposeAsync()
    {
        await Sys.Terminate();
        await ctx.DisposeAsync();
    }

    private async Task<IActorRef> StartAsync(DownloadTokenTable table)
    {
        var store = await ctx.OpenStoreAsync();
        var registry = Sys.ActorOf(DeviceRegistry.Props(store, new RegistryOptions { DownloadTokens = table, FlushInterval = TimeSpan.FromMilliseconds(20) }));
        await AwaitAssertAsync(async () =>
            Assert.True((await registry.Ask<DeviceRegistry.ReadyResult>(DeviceRegistry.GetReady.Instance, AskTimeout)).Ready),
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(50));
        return registry;
    }

    [Fact]
    public async Task A_token_issued_before_the_registry_opened_is_persisted_and_survives_a_restart()
    {
        var table = new DownloadTokenTable(TokenForAll);
        // The router issues at NOTIFY time, possibly before the registry has read the database.
        var early = table.GetOrIssue(Devices.Mac(1));
        var registry = await StartAsync(table);
        var late = table.GetOrIssue(Devices.Mac(2));
        await registry.Ask<DeviceRegistry.Flushed>(DeviceRegistry.Flush.Instance, AskTimeout);

        Watch(registry);
        Sys.Stop(registry);
        ExpectTerminated(registry);
        var restarted = new DownloadTokenTable(TokenForAll);
        await StartAsync(restarted);

        Assert.Equal(early, restarted.Find(Devices.Mac(1)));
        Assert.Equal(late, restarted.Find(Devices.Mac(2)));
        Assert.True(restarted.Matches(Devices.Mac(1), early));
    }

    [Fact]
    public async Task Rotating_replaces_the_token_in_memory_at_once_and_in_the_store()
    {
        var table = new DownloadTokenTable(TokenForAll);
        var registry = await StartAsync(table);
        var first = (await registry.Ask<DeviceRegistry.DownloadTokenResult>(new DeviceRegistry.GetDownloadToken(Devices.Mac(5), IssueIfMissing: true), AskTimeout)).Token!;

        var rotated = await registry.Ask<DeviceRegistry.DownloadTokenResult>(new DeviceRegistry.RotateDownloadToken(Devices.Mac(5)), AskTimeout);

        Assert.NotEqual(first, rotated.Token);
        Assert.False(table.Matches(Devices.Mac(5), first));
        Assert.True(table.Matches(Devices.Mac(5), rotated.Token));
        Assert.DoesNotContain(rotated.Token!, rotated.ToString());
        await registry.Ask<DeviceRegistry.Flushed>(DeviceRegistry.Flush.Instance, AskTimeout);
        var store = await ctx.OpenStoreAsync();
        Assert.Equal(rotated.Token, (await store.LoadDownloadTokensAsync())[Devices.Mac(5)]);
    }

    [Fact]
    public async Task Asking_for_a_token_without_issuing_answers_null_for_a_phone_that_has_none()
    {
        var registry = await StartAsync(new DownloadTokenTable(TokenForAll));
        var none = await registry.Ask<DeviceRegistry.DownloadTokenResult>(new DeviceRegistry.GetDownloadToken(Devices.Mac(6)), AskTimeout);
        Assert.Null(none.Token);
    }
}
