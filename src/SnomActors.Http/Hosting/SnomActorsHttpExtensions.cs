using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.FileProviders;
using SnomActors.Http.Api;
using SnomActors.Http.Downloads;
using SnomActors.Http.Events;
using SnomActors.Http.Security;
using SnomActors.Http.Simulation;

namespace SnomActors.Http.Hosting;

/// <summary>
/// Wiring of the HTTP side into the daemon's <see cref="WebApplication"/>:
/// <code>
/// var builder = WebApplication.CreateSlimBuilder();
/// builder.Services.AddAkka("snomactors", b => b.AddDeviceRegistry(registryOptions)); // ActorSystem + registry actor
/// builder.ConfigureSnomActorsKestrel(httpOptions);        // URLs + certificate
/// builder.Services.AddSnomActorsHttp(httpOptions);
/// var app = builder.Build();
/// app.MapSnomActorsHttp();
/// </code>
/// </summary>
public static class SnomActorsHttpExtensions
{
    /// <summary>
    /// Registers the HTTP side's services. Needs Akka.Hosting's <c>AddAkka</c> with <c>AddDeviceRegistry</c>
    /// (the registry actor is found through <c>IRequiredActor&lt;DeviceRegistryActorKey&gt;</c>, the
    /// <c>ActorSystem</c> for live events). Register your own <see cref="IDownloadProtection"/>,
    /// <see cref="IAdminAccess"/> or <see cref="ILiveDialogGauge"/> before this call to replace the defaults.
    /// </summary>
    public static IServiceCollection AddSnomActorsHttp(this IServiceCollection services, HttpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RegistryAccess>();
        services.TryAddSingleton<SettingsDocumentCache>();
        services.TryAddSingleton<RenderedVersionClock>();
        services.TryAddSingleton(_ => new DownloadAdmission(options.DownloadAdmission));
        services.TryAddSingleton<Downloads.DownloadCounters>();
        services.AddSingleton<SnomActors.Server.Metrics.IMetricsSource>(sp => sp.GetRequiredService<Downloads.DownloadCounters>());
        services.TryAddSingleton<IDownloadProtection, OpenDownloads>();
        services.TryAddSingleton<IAdminAccess, OpenAdminAccess>();
        services.TryAddSingleton<ILiveDialogGauge, NoLiveDialogs>();
        services.TryAddSingleton<StatsService>();
        services.TryAddSingleton(options.SimulatedBoot);
        services.TryAddSingleton<ISimulatedBoot, SimulatedBootService>();
        services.TryAddSingleton(_ => new LiveEventHub(options.EventBufferPerClient));
        services.TryAddSingleton(RegistryLiveEvents.Topics);
        services.TryAddSingleton<LiveEvents>();

        // The lead adds more readiness checks (sockets bound) with AddHealthChecks().AddCheck(..., tags: ["ready"]).
        services.AddHealthChecks().AddCheck<RegistryHealthCheck>("registry", tags: [RegistryHealthCheck.ReadyTag]);
        services.AddProblemDetails();
        services.AddExceptionHandler<StoreUnavailableHandler>();
        services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "SnomActors";
            doc.Info.Description = "Provisioning server for SIP desk phones: settings downloads and the operator's API.";
            return Task.CompletedTask;
        }));
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            o.SerializerOptions.WriteIndented = false;
        });
        return services;
    }

    /// <summary>
    /// Sets the listen URLs and the HTTPS certificate. Throws <see cref="InvalidOperationException"/>
    /// when an <c>https://</c> URL is given without a certificate.
    /// </summary>
    public static WebApplicationBuilder ConfigureSnomActorsKestrel(this WebApplicationBuilder builder, HttpOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Urls.Count == 0) throw new InvalidOperationException("At least one HTTP URL is needed.");
        var https = options.Urls.Any(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
        if (https && options.Certificate is null)
            throw new InvalidOperationException("An https:// URL needs a certificate: --http-cert FILE (setting SnomActors:Http:CertificatePath).");
        builder.WebHost.UseUrls([.. options.Urls]);
        // A boot storm opens thousands of connections within a second; Kestrel's default listen
        // backlog (512) drops the SYNs beyond it and those phones wait out TCP's 1 s, 3 s, 7 s
        // retries. The kernel caps the value at net.core.somaxconn.
        builder.WebHost.UseSockets(sockets => sockets.Backlog = options.ListenBacklog);
        // CreateSlimBuilder leaves HTTPS configuration out; it is harmless to add it twice.
        if (https) builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = Math.Max(options.MaxUploadBytes + 1024, 64 * 1024);
            if (https)
            {
                kestrel.ConfigureHttpsDefaults(h =>
                {
                    h.ServerCertificate = LoadCertificate(options.Certificate!);
                    if (!options.AllowClientCertificates) return;
                    // Phones without a certificate still connect; the download protection decides per request.
                    h.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate;
                    h.AllowAnyClientCertificate();
                });
            }
        });
        return builder;
    }

    /// <summary>Loads a PKCS#12 or PEM certificate with its private key.</summary>
    public static X509Certificate2 LoadCertificate(HttpsCertificateOptions certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var ext = Path.GetExtension(certificate.Path).ToLowerInvariant();
        if (ext is ".pfx" or ".p12")
            return X509CertificateLoader.LoadPkcs12FromFile(certificate.Path, certificate.Password);
        var pem = certificate.Password is null
            ? X509Certificate2.CreateFromPemFile(certificate.Path, certificate.KeyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(certificate.Path, certificate.Password, certificate.KeyPath);
        // An ephemeral PEM key cannot serve TLS on every platform; round-trip through PKCS#12 to persist it in memory.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>
    /// Adds the middleware and endpoints: hostile-path guard, problem details, the embedded page at
    /// <c>/</c>, settings downloads, <c>/api/*</c> (behind <see cref="IAdminAccess"/>), live events and
    /// <c>/openapi/v1.json</c>, <c>/health/live</c> (process up) and <c>/health/ready</c> (every check tagged <c>ready</c>).
    /// </summary>
    public static WebApplication MapSnomActorsHttp(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use((context, next) => HostilePathMiddleware.InvokeAsync(context, () => next(context)));
        if (app.Services.GetService<SecurityOptions>() is { MetricsAuth: true })
        {
            // /metrics is mapped by the daemon; with MetricsAuth the scrape needs the admin credential (Bearer).
            app.Use(async (context, next) =>
            {
                if (context.Request.Path.StartsWithSegments("/metrics") && await AdminAccessFilter.CheckAsync(context) is { } refusal)
                {
                    await refusal.ExecuteAsync(context);
                    return;
                }
                await next(context);
            });
        }

        var files = new ManifestEmbeddedFileProvider(typeof(SnomActorsHttpExtensions).Assembly, "wwwroot");
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "no-cache",
        });

        app.MapSettingsDownloads();
        var api = app.MapGroup("/api").RequireSnomActorsAdmin();
        api.MapApi();
        api.MapLiveEvents();
        app.MapOpenApi();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains(RegistryHealthCheck.ReadyTag),
            ResponseWriter = ReadinessReport.WriteAsync,
        });
        return app;
    }
}
