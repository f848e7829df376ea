using System.CommandLine;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SnomActors.Cli.Commands;
using SnomActors.Http.Hosting;
using SnomActors.Registry.Actors;
using SnomActors.Registry.Config;
using SnomActors.Server.Actors;
using SnomActors.Server.Config;
using SnomActors.Server.Messages;
using SnomActors.Sip.Identity;

namespace SnomActors.Cli.Tests.Support;

/// <summary>
/// The daemon's real HTTP side in-process for the admin commands: Kestrel on 127.0.0.1 port 0, an
/// ActorSystem with the DeviceRegistry on a temporary SQLite file and the real
/// <see cref="ResyncCoordinator"/>, wired as the daemon wires them. The coordinator's router is a
/// stand-in that "sends" each check-sync and answers with <see cref="PhoneAnswer"/> (no UDP).
/// </summary>
public sealed class RealDaemonHttp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataDirectory;

    private RealDaemonHttp(WebApplication app, string dataDirectory, string url, FakeSipRouter.Log sent)
    {
        _app = app;
        _dataDirectory = dataDirectory;
        Url = url;
        Sent = sent;
        Client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(20) };
    }

    /// <summary>The daemon's base URL (for <c>--server</c>).</summary>
    public string Url { get; }

    public HttpClient Client { get; }

    /// <summary>The check-syncs the coordinator handed to the (fake) router.</summary>
    public FakeSipRouter.Log Sent { get; }

    public ActorSystem System => _app.Services.GetRequiredService<ActorSystem>();

    /// <param name="withResync">Register the resync coordinator (false: a process without the SIP side).</param>
    /// <param name="phoneAnswer">Final status every fake phone answers a check-sync with; null = never answers (Timer F).</param>
    public static async Task<RealDaemonHttp> StartAsync(bool withResync = true, int? phoneAnswer = 200)
    {
        var data = Directory.CreateTempSubdirectory("snomactors-cli-").FullName;
        var options = new HttpOptions { Urls = ["http://127.0.0.1:0"] };
        var sent = new FakeSipRouter.Log();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.ConfigureSnomActorsKestrel(options);
        builder.Services.AddAkka("cli-tests", b =>
        {
            b.ConfigureLoggers(l => l.LogLevel = Akka.Event.LogLevel.WarningLevel);
            b.AddDeviceRegistry(new RegistryOptions { DataDirectory = data, FlushInterval = TimeSpan.FromMilliseconds(20) });
            if (withResync)
            {
                b.WithActors((system, registry) =>
                {
                    var router = system.ActorOf(Props.Create<FakeSipRouter>(sent, phoneAnswer), "fake-pnp");
                    registry.Register<ResyncKey>(system.ActorOf(ResyncCoordinator.Props(router, 50), "resync"));
                });
            }
        });
        builder.Services.AddSnomActorsHttp(options);
        var app = builder.Build();
        app.MapSnomActorsHttp();
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .First(a => a.StartsWith("http://", StringComparison.Ordinal));
        return new RealDaemonHttp(app, data, url, sent);
    }

    /// <summary>
    /// Makes the registry know a phone as the PnP side does: its provisioning events on the EventStream
    /// (SUBSCRIBE seen from <paramref name="source"/>, answered, NOTIFY sent and acknowledged).
    /// </summary>
    public async Task ProvisionAsync(string mac, IPEndPoint source, string vendor = "snom", string model = "snom360", string firmware = "8.7.5.35")
    {
        // The registry subscribes when it starts; an event published earlier would be lost.
        var registry = await _app.Services.GetRequiredService<IRequiredActor<DeviceRegistryActorKey>>().GetAsync();
        await Eventually(async () => (await registry.Ask<DeviceRegistry.ReadyResult>(DeviceRegistry.GetReady.Instance, TimeSpan.FromSeconds(5))).Ready);
        var callId = Guid.NewGuid().ToString("N");
        var at = DateTimeOffset.UtcNow;
        var identity = new DeviceIdentity(mac, vendor, model, firmware, $"{vendor}-{model}/{firmware}");
        System.EventStream.Publish(new SubscribeSeen(callId, identity, source, true, at));
        System.EventStream.Publish(new SubscribeAnswered(callId, mac, at.AddMilliseconds(5)));
        System.EventStream.Publish(new NotifySent(callId, mac, $"{Url}/settings/{mac}.xml", source, at.AddMilliseconds(10)));
        System.EventStream.Publish(new NotifyAcknowledged(callId, mac, 200, at.AddMilliseconds(40)));
        await Eventually(async () =>
        {
            var response = await Client.GetAsync($"/api/devices/{mac}");
            if (response.StatusCode != HttpStatusCode.OK) return false;
            var device = await response.Content.ReadFromJsonAsync<JsonElement>();
            return device.GetProperty("state").GetString() == "provisioned";
        });
    }

    public static async Task Eventually(Func<Task<bool>> condition, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Condition not met in time.");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// Stands in for the DialogRouter: records each <see cref="DialogRouter.SendCheckSync"/> and answers
/// with the outcome a phone would produce, as the real check-sync transaction reports it.
/// </summary>
public sealed class FakeSipRouter : ReceiveActor
{
    /// <summary>Thread-safe record of what was sent, in order.</summary>
    public sealed class Log
    {
        private readonly List<DialogRouter.SendCheckSync> _items = [];

        public IReadOnlyList<DialogRouter.SendCheckSync> Items
        {
            get { lock (_items) return [.. _items]; }
        }

        internal void Add(DialogRouter.SendCheckSync item)
        {
            lock (_items) _items.Add(item);
        }
    }

    public FakeSipRouter(Log log, int? answer) =>
        Receive<DialogRouter.SendCheckSync>(send =>
        {
            log.Add(send);
            send.ReplyTo.Tell(new CheckSyncTransaction.Outcome(send.Mac, send.Target, answer,
                answer is { } code ? $"{code} {(code == 200 ? "OK" : "Rejected")}" : "phone never answered check-sync NOTIFY (Timer F)"));
        });
}

/// <summary>Runs the admin commands in-process against a daemon, capturing stdout and stderr.</summary>
public static class AdminCli
{
    public static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var root = new RootCommand("test")
        {
            DevicesCommand.Create(), SettingsCommand.Create(), ImportCommand.Create(), ResyncCommand.Create(),
        };
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
        return (exit, output.ToString(), error.ToString());
    }
}
