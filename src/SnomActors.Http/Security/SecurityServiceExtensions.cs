using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SnomActors.Http.Hosting;
using SnomActors.Server.Metrics;
using SnomActors.Server.Provisioning;

namespace SnomActors.Http.Security;

/// <summary>DI wiring of the admin credential and the settings download protection.</summary>
public static class SecurityServiceExtensions
{
    /// <summary>The category of ASP.NET Core's per-request log lines (they carry the request URL with its query).</summary>
    public const string RequestLogCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>
    /// Installs issue 5's protections: <see cref="AdminTokenAccess"/> on <c>/api/*</c> (generating the
    /// admin credential under <see cref="SecurityOptions.DataDirectory"/> at the first start) unless
    /// <see cref="SecurityOptions.AdminAuth"/> is false, <see cref="PolicyDownloadProtection"/> for
    /// downloads, <paramref name="tokens"/> as <see cref="IDownloadTokens"/> (the same table the PnP core
    /// and the registry use), <see cref="SecurityCounters"/> on <c>/metrics</c>, and a start-up log line
    /// saying what is on. Call before or after <c>AddSnomActorsHttp</c> (these registrations win).
    /// Throws <see cref="InvalidOperationException"/> when the credential files or the CA bundle are unusable.
    /// </summary>
    public static IServiceCollection AddSnomActorsSecurity(this IServiceCollection services, SecurityOptions options, IDownloadTokens tokens)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tokens);
        options.Validate();

        AdminCredentialState? credential = null;
        ClientCertificateCheck? certificates = null;
        try
        {
            if (options.AdminAuth) credential = AdminCredentialFile.Ensure(options.DataDirectory);
            if (options.ClientCertificateCaPath is { } ca) certificates = ClientCertificateCheck.FromFile(ca);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"Security setup failed: {ex.Message}", ex);
        }

        var counters = new SecurityCounters();
        services.AddSingleton(options);
        services.AddSingleton(tokens);
        services.AddSingleton(counters);
        services.AddSingleton<IMetricsSource>(counters);
        if (credential is not null)
        {
            services.AddSingleton(credential);
            services.AddSingleton<IAdminAccess>(sp => new AdminTokenAccess(credential,
                new FailureBackoff(options.AdminBackoff, sp.GetService<TimeProvider>() ?? TimeProvider.System), counters));
        }
        else
        {
            services.AddSingleton<IAdminAccess, OpenAdminAccess>();
        }
        services.AddSingleton<IDownloadProtection>(sp =>
        {
            var time = sp.GetService<TimeProvider>() ?? TimeProvider.System;
            return new PolicyDownloadProtection(options, tokens, new FailureBackoff(options.DownloadBackoff, time), counters,
                sp.GetRequiredService<RegistryAccess>(), new DigestAuthenticator(options.DigestRealm, time), certificates, time);
        });
        // ASP.NET Core's "Request starting GET …?token=…" lines (Information) would write the download
        // token to the log. Added after the configuration's rules so it wins over a category-wide
        // "Microsoft.AspNetCore": "Information" (and even over the same category set in configuration).
        services.PostConfigure<LoggerFilterOptions>(o => o.Rules.Add(new LoggerFilterRule(null, RequestLogCategory, LogLevel.Warning, null)));
        services.AddHostedService(sp => new SecurityStartupReport(options, credential, sp.GetRequiredService<ILoggerFactory>().CreateLogger("SnomActors.Security")));
        return services;
    }

    /// <summary>Logs once at start which protections are on (paths only, never a secret).</summary>
    private sealed class SecurityStartupReport(SecurityOptions options, AdminCredentialState? credential, ILogger logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (credential is null)
                logger.LogWarning("Admin authentication is OFF (SnomActors:Http:AdminAuth=false): anyone who reaches the HTTP port can read and change every phone's settings. Use this only in an isolated lab");
            else if (credential.Created)
                logger.LogInformation("Admin credential generated: {Path} (mode 0600; user 'admin' in the browser, or 'Authorization: Bearer <token>')", credential.TokenPath);
            else
                logger.LogInformation("Admin authentication on (credential in {Path})", credential.TokenPath);
            var policy = options.DownloadProtection;
            var vendors = policy.Vendors.Count == 0 ? "none" : string.Join(", ", policy.Vendors.Select(v => $"{v.Key}={v.Value}"));
            logger.LogInformation("Settings download protection: default {Default}; per vendor: {Vendors}; /metrics {Metrics}",
                policy.Default, vendors, options.MetricsAuth ? "needs the admin credential" : "open");
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
