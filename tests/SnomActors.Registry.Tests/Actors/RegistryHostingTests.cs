using Akka.Actor;
using Akka.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SnomActors.Registry.Actors;
using SnomActors.Registry.Config;
using SnomActors.Registry.Model;
using SnomActors.Registry.Store;
using SnomActors.Registry.Tests.Support;

namespace SnomActors.Registry.Tests.Actors;

public sealed class RegistryHostingTests : IDisposable
{
    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), "snomactors-hosting-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task The_hosting_extension_registers_the_registry_and_the_host_stopping_writes_what_is_pending()
    {
        // Timer and threshold never fire: only the shutdown path can write these changes.
        var options = new RegistryOptions { DataDirectory = dataDirectory, FlushInterval = TimeSpan.FromHours(1), FlushThreshold = 1_000_000 };
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = Path.GetTempPath() });
        builder.Services.AddAkka("registry-hosting-test", (akka, _) => akka.AddDeviceRegistry(options));
        using var host = builder.Build();
        await host.StartAsync();

        var registry = await host.Services.GetRequiredService<IRequiredActor<DeviceRegistryActorKey>>().GetAsync();
        var system = host.Services.GetRequiredService<ActorSystem>();
        Assert.True(await EventuallyReady(registry));
        foreach (var e in Devices.Exchange(1, Devices.T0)) system.EventStream.Publish(e);
        var device = await registry.Ask<DeviceRegistry.DeviceResult>(new DeviceRegistry.GetDevice(Devices.Mac(1)), TimeSpan.FromSeconds(20));
        Assert.Equal(DeviceState.Provisioned, device.Device!.State);

        await host.StopAsync();

        Assert.True(File.Exists(Path.Combine(dataDirectory, SqliteRegistryStore.FileName)));
        await using var store = await RegistryStoreFactory.OpenAsync(options);
        Assert.Equal("sqlite", store.Kind);
        Assert.Equal(DeviceState.Provisioned, (await store.GetDeviceAsync(Devices.Mac(1)))!.State);
    }

    private static async Task<bool> EventuallyReady(IActorRef registry)
    {
        for (var i = 0; i < 100; i++)
        {
            if ((await registry.Ask<DeviceRegistry.ReadyResult>(DeviceRegistry.GetReady.Instance, TimeSpan.FromSeconds(5))).Ready) return true;
            await Task.Delay(100);
        }
        return false;
    }
}
