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
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SnomActors.Http.Api;
using SnomActors.Http.Hosting;
using SnomActors.Http.Security;
using SnomActors.Registry.Actors;
using SnomActors.Registry.Config;
using SnomActors.Registry.Metrics;
using SnomActors.Server.Provisioning;
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
    private static HttpOptions BuildHttpOptions(SnomActorsSettings settings)
    {
        var http = settings.Http;
        var urls = http.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (!Enum.TryParse<SnomActors.Http.Hosting.UnknownDevicePolicy>(http.UnknownDevices, ignoreCase: true, out var unknown))
            throw new ArgumentException($"Http:UnknownDevices '{http.UnknownDevices}' is not NotFound or ServeGeneral.");
        return new HttpOptions
        {
            Urls = urls,
            Certificate = string.IsNullOrEmpty(http.CertificatePath) ? null
                : new HttpsCertificateOptions(http.CertificatePath, NullIfEmpty(http.CertificatePassword), NullIfEmpty(http.CertificateKeyPath)),
            UnknownDevicePolicy = unknown,
            DownloadAdmission = new DownloadAdmissionOptions(http.DownloadsPerSecond, Math.Max(1, http.DownloadBurst)),
            SimulatedBoot = new SnomActors.Http.Simulation.SimulatedBootOptions(http.SimulatedBoot, settings.Sip.RatePerSource, settings.Sip.RateExemptLoopback),
        };

        static string? NullIfEmpty(string s) => string.IsNullOrEmpty(s) ? null : s;
    }

    /// <summary>
    /// Stacks the settings sources above the host's defaults so that flags win over the environment,
    /// the environment over the <c>--config</c> JSON file, and that over <c>appsettings.json</c>
    /// (docs/operator-guide.md). The environment is added again after the file: the host added it
    /// before, and a later source wins, so without this the packaged <c>/etc/snomactors/snomactors.json</c>
    /// (which spells out <c>Http:Urls</c> and the URL template) silently beat every
    /// <c>SnomActors__…</c> variable in <c>/etc/default/snomactors</c> or a unit drop-in.
    /// </summary>
    internal static void AddSettingsLayers(IConfigurationBuilder configuration, FileInfo? jsonFile, IDictionary<string, string?> overrides)
    {
        if (jsonFile is not null)
        {
            configuration.AddJsonFile(jsonFile.FullName, optional: false, reloadOnChange: false);
            configuration.AddEnvironmentVariables();
        }
        configuration.AddInMemoryCollection(overrides);
    }

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
        }
        AddSettingsLayers(builder.Configuration, hoconFile is null ? configFile : null, overrides);

        var settings = new SnomActorsSettings();
        var admissions = new DeviceAdmissionCache();
        PnpOptions pnpOptions;
        SecurityOptions securityOptions;
        DownloadTokenTable downloadTokens;
        UdpTransportOptions udpOptions;
        try
        {
            builder.Configuration.GetSection(SnomActorsSettings.Section).Bind(settings);
            if (multicastInterfaces is not null) settings.Sip.MulticastInterfaces = [.. multicastInterfaces];
            udpOptions = settings.ToUdpOptions();
            securityOptions = SecurityOptions.FromConfiguration(builder.Configuration, Path.GetFullPath(settings.DataDirectory));
            downloadTokens = new DownloadTokenTable(securityOptions.DownloadProtection);
            pnpOptions = settings.ToPnpOptions(settings.Sip.Port) with { DeviceAdmission = admissions, DownloadTokens = downloadTokens };
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
        {
            Console.Error.WriteLine($"snomactors run: configuration error: {ex.Message}");
            return 2;
        }

        HttpOptions httpOptions;
        try
        {
            httpOptions = BuildHttpOptions(settings) with { AllowClientCertificates = securityOptions.NeedsClientCertificates };
            builder.ConfigureSnomActorsKestrel(httpOptions);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IOException or System.Security.Cryptography.CryptographicException)
        {
            Console.Error.WriteLine($"snomactors run: HTTP configuration error: {ex.Message}");
            return 2;
        }
        builder.Host.UseSystemd();
        builder.Services.ApplyConfiguredConsoleFormatter(builder.Configuration); // after UseSystemd, which forces its own format
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(settings.Shutdown.DrainTimeoutSeconds + 10));

        var metrics = new PnpMetrics();
        var udpCounters = new UdpTransportCounters();
        var readiness = new DaemonReadiness();
        var registryMetrics = new RegistryMetrics();
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton(udpCounters);
        builder.Services.AddSingleton(readiness);
        builder.Services.AddSingleton<IMetricsSource>(registryMetrics);
        builder.Services.AddAkka("snomactors", (akka, _) =>
        {
            akka.AddHoconFile(Path.Combine(AppContext.BaseDirectory, "hocon", "akka.conf"), HoconAddMode.Append);
            if (hoconFile is not null) akka.AddHoconFile(hoconFile, HoconAddMode.Prepend);
            akka.ConfigureLoggers(loggers =>
            {
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            });
            akka.AddDeviceRegistry(new RegistryOptions
            {
                DataDirectory = Path.GetFullPath(settings.DataDirectory),
                PostgresConnectionString = string.IsNullOrWhiteSpace(settings.Registry.PostgresConnectionString) ? null : settings.Registry.PostgresConnectionString,
                DownloadTokens = downloadTokens,
                Metrics = registryMetrics,
            });
            // Held until Kestrel listens (ReadinessGate): no NOTIFY may name a URL nobody serves yet.
            akka.AddPnpCore(pnpOptions, new HeldTransportFactory(new UdpTransportFactory(udpOptions, udpCounters), readiness.WhenHttpListening), metrics);
            akka.WithActors((system, registry) =>
                system.ActorOf(AdmissionCacheFeeder.Props(registry.Get<DeviceRegistryActorKey>(), admissions), "admission-feeder"));
            akka.AddStartup((system, _) =>
            {
                var watcher = system.ActorOf(Props.Create<ReadinessWatcher>(readiness), "readiness");
                system.EventStream.Subscribe(watcher, typeof(SipTransport.Bound));
            });
        });

        // Started in this order after Akka, the web server after all of them; the drain runs in the
        // host's "stopping" phase, before the web server and Akka stop.
        builder.Services.AddHostedService<ReadinessGate>();
        builder.Services.TryAddSingleton<Microsoft.Extensions.Hosting.Systemd.ISystemdNotifier, Microsoft.Extensions.Hosting.Systemd.SystemdNotifier>();
        builder.Services.AddHostedService<SystemdWatchdog>();
        builder.Services.AddHostedService<GracefulDrain>();

        builder.Services.AddSingleton<ILiveDialogGauge>(new PnpLiveDialogGauge(metrics));
        builder.Services.AddSnomActorsHttp(httpOptions);
        try
        {
            builder.Services.AddSnomActorsSecurity(securityOptions, downloadTokens);
        }
        catch (InvalidOperationException ex)
        {
            Console.Error.WriteLine($"snomactors run: security configuration error: {ex.Message}");
            return 2;
        }
        builder.Services.AddHealthChecks().AddCheck("sip", () => readiness.SipBound
            ? HealthCheckResult.Healthy($"SIP bound on {string.Join(", ", readiness.Endpoints)}",
                new Dictionary<string, object> { [ReadinessReport.SipEndpointsKey] = readiness.Endpoints.ToArray() })
            : HealthCheckResult.Unhealthy("SIP transport not bound yet"), tags: [RegistryHealthCheck.ReadyTag]);

        var app = builder.Build();
        app.MapSnomActorsHttp();
        app.MapPrometheusMetrics();
        app.MapEnrolmentApi();

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

/// <summary>The live-dialog gauge the HTTP stats report, read from the PnP core's metrics.</summary>
internal sealed class PnpLiveDialogGauge(PnpMetrics metrics) : ILiveDialogGauge
{
    public int LiveDialogs => (int)Math.Min(int.MaxValue, metrics.LiveDialogs);
}

/// <summary>What /health/ready reports: the SIP socket is bound (the registry joins in issue 3); and when the HTTP side listens.</summary>
public sealed class DaemonReadiness
{
    private readonly TaskCompletionSource _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _httpListening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string[] _endpoints = [];
    public bool SipBound => _endpoints.Length > 0;
    public IReadOnlyList<string> Endpoints => _endpoints;
    public Task WhenBound => _bound.Task;

    /// <summary>Completes once the web server has started (its listeners are bound).</summary>
    public Task WhenHttpListening => _httpListening.Task;

    public void MarkHttpListening() => _httpListening.TrySetResult();

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
