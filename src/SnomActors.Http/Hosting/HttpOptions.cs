namespace SnomActors.Http.Hosting;

/// <summary>What to do when a phone the registry has never seen asks for its settings.</summary>
public enum UnknownDevicePolicy
{
    /// <summary>404: only phones that went through PnP (or were imported) get a file.</summary>
    NotFound,
    /// <summary>Serve the general document rendered for that MAC (phones configured by hand with our URL).</summary>
    ServeGeneral,
}

/// <summary>The certificate for every <c>https://</c> URL.</summary>
/// <param name="Path">A PKCS#12 file (<c>.pfx</c>/<c>.p12</c>) or a PEM certificate (<c>.pem</c>/<c>.crt</c>).</param>
/// <param name="Password">Password of the PKCS#12 file or of the encrypted PEM key; never logged.</param>
/// <param name="KeyPath">PEM private key when it is not inside <paramref name="Path"/>.</param>
public sealed record HttpsCertificateOptions(string Path, string? Password = null, string? KeyPath = null);

/// <summary>
/// Admission limit for settings downloads (issue 5): a token bucket shared by all clients, so a
/// storm of downloads is shed with 503 + Retry-After instead of starving PnP of CPU.
/// </summary>
/// <param name="PermitsPerSecond">Sustained downloads per second; 0 or less disables the limit.</param>
/// <param name="Burst">Bucket size: downloads allowed at once after a quiet period.</param>
/// <param name="RetryAfterMinSeconds">Lowest Retry-After sent.</param>
/// <param name="RetryAfterMaxSeconds">Highest Retry-After sent; the value is drawn uniformly so shed phones do not come back in lockstep.</param>
public sealed record DownloadAdmissionOptions(
    double PermitsPerSecond = 2000, int Burst = 2000, int RetryAfterMinSeconds = 2, int RetryAfterMaxSeconds = 10)
{
    /// <summary>No limit.</summary>
    public static readonly DownloadAdmissionOptions Unlimited = new(0, 0);
}

/// <summary>Options of the HTTP side of the daemon.</summary>
public sealed record HttpOptions
{
    /// <summary>The default listen URL.</summary>
    public const string DefaultUrl = "http://0.0.0.0:8080";

    /// <summary>URLs to listen on (<c>http://</c> or <c>https://</c>, host an IP, <c>*</c>, <c>localhost</c>; port 0 picks a free one).</summary>
    public IReadOnlyList<string> Urls { get; init; } = [DefaultUrl];

    /// <summary>TCP listen backlog of each HTTP socket (the kernel caps it at <c>net.core.somaxconn</c>).</summary>
    public int ListenBacklog { get; init; } = 4096;

    /// <summary>Certificate for the <c>https://</c> URLs; required when any is given.</summary>
    public HttpsCertificateOptions? Certificate { get; init; }

    /// <summary>
    /// Ask TLS clients for a certificate (Kestrel <c>ClientCertificateMode.AllowCertificate</c>; any is
    /// accepted at the handshake and checked per download). Needed by the <c>ClientCertificate</c>
    /// download protection (<c>SecurityOptions.NeedsClientCertificates</c>).
    /// </summary>
    public bool AllowClientCertificates { get; init; }

    /// <summary>What phones unknown to the registry get.</summary>
    public UnknownDevicePolicy UnknownDevicePolicy { get; init; } = UnknownDevicePolicy.NotFound;

    /// <summary>
    /// Base URL phones and the CLI reach this server at (e.g. <c>http://10.0.0.2:8080</c>); used in
    /// links the API returns. Null: derived from each request.
    /// </summary>
    public string? ServerBaseUrl { get; init; }

    /// <summary>Download admission limit (issue 5).</summary>
    public DownloadAdmissionOptions DownloadAdmission { get; init; } = new();

    /// <summary>Events buffered per live-page connection; beyond it the oldest are dropped (a slow browser never blocks the actors).</summary>
    public int EventBufferPerClient { get; init; } = 512;

    /// <summary>How often a <c>stats</c> event is pushed to each live-page connection.</summary>
    public TimeSpan StatsInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long resolved settings documents are cached for downloads (writes through the API invalidate at once).</summary>
    public TimeSpan SettingsCacheTtl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest settings upload or CSV import accepted.</summary>
    public long MaxUploadBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>How long a request waits for the registry actor before it answers 503.</summary>
    public TimeSpan RegistryTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Simulated boot from the page or API (<c>POST /api/simulations</c>).</summary>
    public Simulation.SimulatedBootOptions SimulatedBoot { get; init; } = new();

    /// <summary>Downloads listed in a device's detail.</summary>
    public int DownloadsInDeviceDetail { get; init; } = 50;
}
