using System.Net;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SnomActors.Http.Events;
using SnomActors.Http.Hosting;
using SnomActors.Registry.Actors;
using SnomActors.Registry.Config;
using Akka.Hosting;
using SnomActors.Server.Messages;
using SnomActors.Sip.Identity;

namespace SnomActors.Web.Tests;

/// <summary>
/// The daemon's real HTTP side (SnomActors.Http, page embedded in the assembly) on 127.0.0.1 with a
/// free port, a real SQLite registry in a temp directory and the DeviceRegistry actor. Phones are
/// played by publishing the PnP exchange's events on the EventStream, exactly what the
/// subscription dialogs publish, and by fetching their settings URL over HTTP.
/// </summary>
internal sealed class RealHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataDir;

    private RealHost(WebApplication app, ActorSystem system, IActorRef registry, string dataDir, string baseUrl)
    {
        _app = app;
        System = system;
        Registry = registry;
        _dataDir = dataDir;
        BaseUrl = baseUrl;
        Http = new HttpClient { BaseAddress = new Uri(baseUrl) };
    }

    public ActorSystem System { get; }
    public IActorRef Registry { get; }
    public string BaseUrl { get; }
    public HttpClient Http { get; }

    public static async Task<RealHost> StartAsync()
    {
        var dataDir = Directory.CreateTempSubdirectory("snomactors-web-").FullName;
        var registryOptions = new RegistryOptions { DataDirectory = dataDir, FlushInterval = TimeSpan.FromMilliseconds(50) };
        var httpOptions = new HttpOptions
        {
            Urls = ["http://127.0.0.1:0"],
            StatsInterval = TimeSpan.FromMilliseconds(500),
            UnknownDevicePolicy = UnknownDevicePolicy.NotFound,
        };
        // The same wiring as the daemon, SQLite under a temp --data.
        // CreateBuilder like the daemon's DaemonHost (CreateSlimBuilder lacks the regex route
        // constraint the API's settings routes use).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("SNOMACTORS_WEB_TEST_LOG") == "1") builder.Logging.AddConsole();
        builder.Services.AddAkka("web-tests", b => b
            .AddHocon("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING", HoconAddMode.Prepend)
            .AddDeviceRegistry(registryOptions));
        builder.ConfigureSnomActorsKestrel(httpOptions);
        builder.Services.AddSnomActorsHttp(httpOptions);
        var app = builder.Build();
        app.MapSnomActorsHttp();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var system = app.Services.GetRequiredService<ActorSystem>();
        var registry = await app.Services.GetRequiredService<IRequiredActor<DeviceRegistryActorKey>>().GetAsync();
        // The SSE bridge subscribes to the EventStream when it starts (lazily, on the first page);
        // start it now and wait until it runs, so no event a test publishes can precede it.
        var bridge = app.Services.GetRequiredService<LiveEvents>().EnsureStarted();
        await bridge.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(10));
        return new RealHost(app, system, registry, dataDir, address.TrimEnd('/') + "/");
    }

    /// <summary>One phone's PnP exchange up to the step given, as the subscription dialogs publish it.</summary>
    public void Provision(string mac, string step, string model = "snom360", string ip = "10.75.0.2",
        string vendor = Vendors.Snom, string? failure = null, DateTimeOffset? start = null)
    {
        var at = start ?? DateTimeOffset.UtcNow;
        var callId = $"{mac}-call@10.75.0.2";
        var source = new IPEndPoint(IPAddress.Parse(ip), 5060);
        var stream = System.EventStream;
        var device = new DeviceIdentity(mac, vendor, model, "8.7.5.35", $"{vendor}{model[(model.StartsWith(vendor, StringComparison.Ordinal) ? vendor.Length : 0)..]}-SIP 8.7.5.35");
        if (step is "seen" or "answered" or "notified" or "provisioned" or "failed")
            stream.Publish(new SubscribeSeen(callId, device, source, true, at));
        if (step is "answered" or "notified" or "provisioned" or "failed")
            stream.Publish(new SubscribeAnswered(callId, mac, at.AddMilliseconds(2)));
        if (step is "notified" or "provisioned" or "failed")
            stream.Publish(new NotifySent(callId, mac, $"{BaseUrl}settings/{mac}.xml", source, at.AddMilliseconds(5)));
        if (step is "provisioned")
            stream.Publish(new NotifyAcknowledged(callId, mac, 200, at.AddMilliseconds(40)));
        if (step is "failed")
            stream.Publish(new ProvisioningFailed(callId, mac, failure ?? "NOTIFY never acknowledged (Timer F)", null, at.AddSeconds(32)));
    }

    /// <summary>What the phone does after its NOTIFY: fetch the URL it was given.</summary>
    public Task<HttpResponseMessage> DownloadSettingsAsync(string mac) => Http.GetAsync($"settings/{mac}.xml");

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        // Stopping the host runs CoordinatedShutdown: the registry flushes and disposes its store.
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
