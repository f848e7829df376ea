using System.Net;
using System.Net.Sockets;
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
using SnomActors.Server.Actors;
using SnomActors.Server.Config;
using SnomActors.Server.Messages;
using SnomActors.Server.Metrics;
using SnomActors.Transport;
using SnomActors.Transport.Udp;
using SnomActors.Sip.Identity;

namespace SnomActors.Web.Tests;

/// <summary>
/// The daemon's parts as <c>DaemonHost</c> composes them: the real HTTP side (SnomActors.Http, page
/// embedded in the assembly) on 127.0.0.1, a real SQLite registry in a temp directory with the
/// DeviceRegistry actor, and the PnP core (dialog router, subscription dialogs) on a loopback UDP
/// socket, so a test phone can run the real SUBSCRIBE → 200 → NOTIFY → 200 exchange against
/// <see cref="Sip"/> and then fetch the URL its NOTIFY carried. <see cref="Provision"/> still plays
/// an exchange by publishing its events, for tests that only need the page's side of it.
/// </summary>
internal sealed class RealHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataDir;

    private RealHost(WebApplication app, ActorSystem system, IActorRef registry, string dataDir, string baseUrl, IPEndPoint sip)
    {
        _app = app;
        System = system;
        Registry = registry;
        _dataDir = dataDir;
        BaseUrl = baseUrl;
        Sip = sip;
        Http = new HttpClient { BaseAddress = new Uri(baseUrl) };
    }

    public ActorSystem System { get; }
    public IActorRef Registry { get; }
    public string BaseUrl { get; }
    public HttpClient Http { get; }

    /// <summary>Where the PnP core listens for SUBSCRIBEs (127.0.0.1, an ephemeral port).</summary>
    public IPEndPoint Sip { get; }

    public static async Task<RealHost> StartAsync()
    {
        // The NOTIFY names the HTTP port, and the PnP core's options are fixed before Kestrel binds:
        // take a free port first (as LoopbackDaemon does) and try again should another process take it meanwhile.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnAsync(FreeTcpPort());
            }
            catch (IOException) when (attempt < 3)
            {
                // Address in use: another test took the port between the probe and the bind.
            }
        }
    }

    private static int FreeTcpPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static async Task<RealHost> StartOnAsync(int httpPort)
    {
        var dataDir = Directory.CreateTempSubdirectory("snomactors-web-").FullName;
        var registryOptions = new RegistryOptions { DataDirectory = dataDir, FlushInterval = TimeSpan.FromMilliseconds(50) };
        var httpOptions = new HttpOptions
        {
            Urls = [$"http://127.0.0.1:{httpPort}"],
            StatsInterval = TimeSpan.FromMilliseconds(500),
            UnknownDevicePolicy = SnomActors.Http.Hosting.UnknownDevicePolicy.NotFound,
        };
        // Unicast on loopback only: no multicast group is joined in the machine's namespace.
        var udpOptions = new UdpTransportOptions
        {
            BindAddress = IPAddress.Loopback, Port = 0, EnableMulticast = false, InterfaceWatchInterval = TimeSpan.Zero,
            ReceiveBufferBytes = 256 * 1024, SendBufferBytes = 256 * 1024,
        };
        var pnpOptions = new PnpOptions { ServerHost = "127.0.0.1", HttpPort = httpPort, SipPort = 0 };
        // The same wiring as the daemon, SQLite under a temp --data.
        // CreateBuilder like the daemon's DaemonHost (CreateSlimBuilder lacks the regex route
        // constraint the API's settings routes use).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("SNOMACTORS_WEB_TEST_LOG") == "1") builder.Logging.AddConsole();
        builder.Services.AddAkka("web-tests", b => b
            .AddHocon("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING", HoconAddMode.Prepend)
            .AddDeviceRegistry(registryOptions)
            .AddPnpCore(pnpOptions, new UdpTransportFactory(udpOptions, new UdpTransportCounters()), new PnpMetrics()));
        builder.ConfigureSnomActorsKestrel(httpOptions);
        builder.Services.AddSnomActorsHttp(httpOptions);
        var app = builder.Build();
        app.MapSnomActorsHttp();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var system = app.Services.GetRequiredService<ActorSystem>();
        var registry = await app.Services.GetRequiredService<IRequiredActor<DeviceRegistryActorKey>>().GetAsync();
        var sip = await BoundSipEndpointAsync(await app.Services.GetRequiredService<IRequiredActor<PnpRouterKey>>().GetAsync());
        // The SSE bridge subscribes to the EventStream when it starts (lazily, on the first page);
        // start it now and wait until it runs, so no event a test publishes can precede it.
        var bridge = app.Services.GetRequiredService<LiveEvents>().EnsureStarted();
        await bridge.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(10));
        return new RealHost(app, system, registry, dataDir, address.TrimEnd('/') + "/", sip);
    }

    /// <summary>The UDP endpoint the router's transport bound (it binds asynchronously after start).</summary>
    private static async Task<IPEndPoint> BoundSipEndpointAsync(IActorRef router)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                var bound = await router.Ask<SipTransport.Bound>(DialogRouter.GetBinding.Instance, TimeSpan.FromSeconds(5));
                if (bound.LocalEndpoints.Count > 0) return bound.LocalEndpoints[0];
                if (DateTime.UtcNow > deadline) throw new TimeoutException("The PnP core bound no SIP endpoint.");
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < deadline)
            {
                // Not bound yet.
            }
            await Task.Delay(20);
        }
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
