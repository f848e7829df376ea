using System.Globalization;
using Microsoft.Extensions.Configuration;
using SnomActors.Server.Provisioning;

namespace SnomActors.Http.Security;

/// <summary>
/// The daemon's security settings (issue 5 item 4), read from the <c>SnomActors:Http</c>
/// configuration section by <see cref="FromConfiguration"/>:
/// <list type="table">
/// <item><term><c>AdminAuth</c></term><description><c>true</c> (default): <c>/api/*</c> needs the generated admin credential. <c>false</c> only for isolated labs.</description></item>
/// <item><term><c>MetricsAuth</c></term><description><c>false</c> (default): <c>/metrics</c> open like a usual scrape target; <c>true</c>: it needs the admin credential too.</description></item>
/// <item><term><c>DownloadProtection:Default</c></term><description><c>None</c> (default), <c>Token</c>, <c>Digest</c> or <c>ClientCertificate</c>.</description></item>
/// <item><term><c>DownloadProtection:Vendors:&lt;vendor&gt;</c></term><description>Per-vendor override (vendor key: snom, yealink, grandstream …).</description></item>
/// <item><term><c>DownloadProtection:DigestPasswordVariable</c></term><description>Per-device variable holding the Digest password (default <c>http_password</c>).</description></item>
/// <item><term><c>DownloadProtection:DigestRealm</c></term><description>Digest realm (default <c>SnomActors</c>).</description></item>
/// <item><term><c>DownloadProtection:ClientCertificateCa</c></term><description>PEM bundle of the CAs whose client certificates are trusted (required for ClientCertificate).</description></item>
/// <item><term><c>AuthBackoff:FreeFailures</c>, <c>AuthBackoff:MaxSeconds</c></term><description>Per-source back-off after failed authentications (default 5 free failures, at most 300 s).</description></item>
/// </list>
/// </summary>
public sealed record SecurityOptions
{
    /// <summary>The configuration section read.</summary>
    public const string Section = "SnomActors:Http";

    /// <summary>The daemon's state directory (admin credential files).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Require the admin credential on <c>/api/*</c>.</summary>
    public bool AdminAuth { get; init; } = true;

    /// <summary>Require the admin credential on <c>/metrics</c> as well.</summary>
    public bool MetricsAuth { get; init; }

    /// <summary>Which protection applies to which vendor's downloads.</summary>
    public DownloadProtectionPolicy DownloadProtection { get; init; } = DownloadProtectionPolicy.Open;

    /// <summary>The per-device variable with the Digest password.</summary>
    public string DigestPasswordVariable { get; init; } = "http_password";

    /// <summary>The Digest realm.</summary>
    public string DigestRealm { get; init; } = "SnomActors";

    /// <summary>PEM bundle of trusted client-certificate CAs.</summary>
    public string? ClientCertificateCaPath { get; init; }

    /// <summary>Back-off of failed admin logins per source.</summary>
    public BackoffOptions AdminBackoff { get; init; } = BackoffOptions.Default;

    /// <summary>Back-off of refused downloads per source (more free failures: many phones may share a NAT address).</summary>
    public BackoffOptions DownloadBackoff { get; init; } = BackoffOptions.Default with { FreeFailures = 10 };

    /// <summary>True when Kestrel must ask for client certificates (<c>HttpOptions.AllowClientCertificates</c>).</summary>
    public bool NeedsClientCertificates => DownloadProtection.Uses(DownloadProtectionMode.ClientCertificate);

    /// <summary>Reads the options; throws <see cref="ArgumentException"/> naming a bad setting.</summary>
    public static SecurityOptions FromConfiguration(IConfiguration configuration, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var http = configuration.GetSection(Section);
        var protection = http.GetSection("DownloadProtection");
        var vendors = protection.GetSection("Vendors").GetChildren().Select(c => new KeyValuePair<string, string?>(c.Key, c.Value));
        var backoff = http.GetSection("AuthBackoff");
        var free = Int(backoff["FreeFailures"], "AuthBackoff:FreeFailures") ?? BackoffOptions.Default.FreeFailures;
        var maxSeconds = Int(backoff["MaxSeconds"], "AuthBackoff:MaxSeconds");
        var admin = BackoffOptions.Default with { FreeFailures = free, MaxBlock = maxSeconds is { } m ? TimeSpan.FromSeconds(m) : null };
        var options = new SecurityOptions
        {
            DataDirectory = dataDirectory,
            AdminAuth = Bool(http["AdminAuth"], "AdminAuth") ?? true,
            MetricsAuth = Bool(http["MetricsAuth"], "MetricsAuth") ?? false,
            DownloadProtection = DownloadProtectionPolicy.Parse(protection["Default"], vendors),
            DigestPasswordVariable = NonEmpty(protection["DigestPasswordVariable"]) ?? "http_password",
            DigestRealm = NonEmpty(protection["DigestRealm"]) ?? "SnomActors",
            ClientCertificateCaPath = NonEmpty(protection["ClientCertificateCa"]),
            AdminBackoff = admin,
            DownloadBackoff = admin with { FreeFailures = Math.Max(free, 10) },
        };
        options.Validate();
        return options;

        static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
    }

    /// <summary>Throws <see cref="ArgumentException"/> for an inconsistent combination.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory)) throw new ArgumentException("A data directory is needed for the admin credential.");
        if (NeedsClientCertificates && ClientCertificateCaPath is null)
            throw new ArgumentException("DownloadProtection ClientCertificate needs DownloadProtection:ClientCertificateCa (a PEM bundle of the phones' factory CAs).");
        if (AdminBackoff.FreeFailures < 0 || DownloadBackoff.FreeFailures < 0) throw new ArgumentException("AuthBackoff:FreeFailures must be 0 or more.");
    }

    private static bool? Bool(string? text, string name)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        return bool.TryParse(text.Trim(), out var value) ? value : throw new ArgumentException($"Http:{name} '{text}' is not true or false.");
    }

    private static int? Int(string? text, string name)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        return int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : throw new ArgumentException($"Http:{name} '{text}' is not a whole number.");
    }
}
