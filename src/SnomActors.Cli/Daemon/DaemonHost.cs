using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SnomActors.Server.Config;
using SnomActors.Server.Metrics;
using SnomActors.Transport;
using SnomActors.Transport.Udp;

namespace SnomActors.Cli.Daemon;

/// <summary>
/// Composes the daemon: configuration layers, Akka (PnP core), Kestrel (settings, API, page),
/// systemd integration. Returns the process exit code.
/// </summary>
public static class DaemonHost
{
    public static async Task<int> RunAsync(FileInfo? configFile, IDictionary<string, string?> overrides,
        IReadOnlyList<string>? multicastInterfaces, CancellationToken cancellation)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        string? hoconFile = null;
        if (configFile is not null)
        {
            if (!configFile.Exists)
            {
                Console.Error.WriteLine($"snomactors run: --config {configFile.FullName}: file not found");
                return 2;
            }
            if (configFile.Extension is ".conf" or ".hocon") hoconFile = configFile.FullName;
            else builder.Configuration.AddJsonFile(configFile.FullName, optional: false, reloadOnChange: false);
        }
        builder.Configuration.AddInMemoryCollection(overrides);

        var settings = new SnomActorsSettings();
        PnpOptions pnpOptions;
        UdpTransportOptions udpOptions;
        try
        {
            builder.Configuration.GetSection(SnomActorsSettings.Section).Bind(settings);
            if (multicastInterfaces is not null) settings.Sip.MulticastInterfaces = [.. multicastInterfaces];
            udpOptions = settings.ToUdpOptions();
            pnpOptions = settings.ToPnpOptions(settings.Sip.Port);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
        {
            Console.Error.WriteLine($"snomactors run: configuration error: {ex.Message}");
            return 2;
        }

        builder.WebHost.UseUrls(settings.Http.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Host.UseSystemd();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(settings.Shutdown.DrainTimeoutSeconds + 10));

        var metrics = new PnpMetrics();
        var udpCounters = new UdpTransportCounters();
        var readiness = new DaemonReadiness();
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton(udpCounters);
        builder.Services.AddSingleton(readiness);
        builder.Services.AddAkka("snomactors", (akka, _) =>
        {
            akka.AddHoconFile(Path.Combine(AppContext.BaseDirectory, "hocon", "akka.conf"), HoconAddMode.Append);
            if (hoconFile is not null) akka.AddHoconFile(hoconFile, HoconAddMode.Prepend);
            akka.ConfigureLoggers(loggers =>
            {
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            });
            akka.AddPnpCore(pnpOptions, new UdpTransportFactory(udpOptions, udpCounters), metrics);
            akka.AddStartup((system, _) =>
            {
                var watcher = system.ActorOf(Props.Create<ReadinessWatcher>(readiness), "readiness");
                system.EventStream.Subscribe(watcher, typeof(SipTransport.Bound));
            });
        });

        // Started in this order after Akka; stopped in reverse, so the drain runs before Akka stops.
        builder.Services.AddHostedService<ReadinessGate>();
        builder.Services.TryAddSingleton<Microsoft.Extensions.Hosting.Systemd.ISystemdNotifier, Microsoft.Extensions.Hosting.Systemd.SystemdNotifier>();
        builder.Services.AddHostedService<SystemdWatchdog>();
        builder.Services.AddHostedService<GracefulDrain>();

        var app = builder.Build();
        app.MapGet("/health/live", () => Results.Ok(new { status = "live" }));
        app.MapGet("/health/ready", (DaemonReadiness ready) => ready.SipBound
            ? Results.Ok(new { status = "ready", sip = ready.Endpoints })
            : Results.Problem(title: "Not ready", detail: "SIP transport not bound yet", statusCode: 503));

        try
        {
            await app.RunAsync(cancellation);
            return 0;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            // Startup failures (port in use, bad certificate …) end the process with a message, not a stack trace.
            Console.Error.WriteLine($"snomactors run: {ex.GetBaseException().Message}");
            return 1;
        }
    }
}

/// <summary>What /health/ready reports: the SIP socket is bound (the registry joins in issue 3).</summary>
public sealed class DaemonReadiness
{
    private readonly TaskCompletionSource _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string[] _endpoints = [];
    public bool SipBound => _endpoints.Length > 0;
    public IReadOnlyList<string> Endpoints => _endpoints;
    public Task WhenBound => _bound.Task;

    public void MarkBound(IEnumerable<string> endpoints)
    {
        _endpoints = [.. endpoints];
        _bound.TrySetResult();
    }
}

/// <summary>Turns the transport's Bound event into readiness.</summary>
internal sealed class ReadinessWatcher : ReceiveActor
{
    public ReadinessWatcher(DaemonReadiness readiness) =>
        Receive<SipTransport.Bound>(b => readiness.MarkBound(b.LocalEndpoints.Select(e => e.ToString())));
}
