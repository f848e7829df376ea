using System.Net;
using SnomActors.Sip.Building;
using SnomActors.Sip.Identity;
using SnomActors.Sip.Parsing;
using SnomActors.Transport.Udp;

namespace SnomActors.Server.Config;

/// <summary>
/// The daemon's application settings, bound from the <c>SnomActors</c> configuration section
/// (appsettings.json, <c>--config FILE</c>, environment variables <c>SnomActors__Sip__Port=5070</c>,
/// then the <c>snomactors run</c> flags, in rising precedence). Akka's own settings live in HOCON
/// (<c>hocon/akka.conf</c>).
/// </summary>
public sealed class SnomActorsSettings
{
    public const string Section = "SnomActors";

    public SipSettings Sip { get; set; } = new();
    public HttpSettings Http { get; set; } = new();
    public ProvisioningSettings Provisioning { get; set; } = new();
    public ShutdownSettings Shutdown { get; set; } = new();
    public RegistrySettings Registry { get; set; } = new();

    /// <summary>State directory (SQLite registry, admin credential). <c>--data</c>.</summary>
    public string DataDirectory { get; set; } = "data";

    public sealed class SipSettings
    {
        /// <summary>IPv4 address to listen on; empty = all IPv4 addresses. <c>--sip-address</c>.</summary>
        public string Address { get; set; } = "";
        /// <summary><c>--sip-port</c>.</summary>
        public int Port { get; set; } = 5060;
        /// <summary>Join 224.0.1.75 (false with <c>--no-multicast</c>).</summary>
        public bool Multicast { get; set; } = true;
        /// <summary>Interfaces (names or IPv4 addresses) to join the group on; empty = all suitable. <c>--multicast-interface</c>.</summary>
        public List<string> MulticastInterfaces { get; set; } = [];
        public int ReceiveBufferBytes { get; set; } = 4 * 1024 * 1024;
        /// <summary>Cap on live dialogs (503 / silence beyond).</summary>
        public int MaxLiveDialogs { get; set; } = 200_000;
        public int RetryAfterSeconds { get; set; } = 5;
        /// <summary>New transactions per second per source IP (0 = unlimited).</summary>
        public double RatePerSource { get; set; } = 10;
        public int RatePerSourceBurst { get; set; } = 20;
        /// <summary>New transactions per second in all (0 = unlimited).</summary>
        public double RateGlobal { get; set; } = 50_000;
        public int RateGlobalBurst { get; set; } = 50_000;
        /// <summary>Loopback sources skip the per-source limit (local load generators).</summary>
        public bool RateExemptLoopback { get; set; } = true;
        /// <summary>NOTIFYs sent per second, retransmissions included (0 = unpaced).</summary>
        public double NotifiesPerSecond { get; set; } = Overload.NotifyPacingOptions.Default.PerSecond;
        public int NotifyBurst { get; set; } = Overload.NotifyPacingOptions.Default.Burst;
        /// <summary>NOTIFYs waiting to be sent; beyond it new SUBSCRIBEs are refused until half have left.</summary>
        public int NotifyQueueLimit { get; set; } = Overload.NotifyPacingOptions.Default.QueueLimit;
        /// <summary>
        /// Check-sync NOTIFYs started per second by push re-provisioning (<c>resync --all</c>, the web
        /// page's Resync all): each makes a phone download its settings, so this bounds the download
        /// wave a resync of the whole site causes.
        /// </summary>
        public double ResyncPerSecond { get; set; } = 20;
        /// <summary>RFC 3261 T1 in milliseconds (T2 and T4 scale with it only if set explicitly).</summary>
        public int T1Milliseconds { get; set; } = 500;
        public int T2Milliseconds { get; set; } = 4000;
        public int T4Milliseconds { get; set; } = 5000;
        /// <summary>Largest datagram parsed (1-65535); a larger request gets 513 on unicast.</summary>
        public int MaxDatagramBytes { get; set; } = SipParserLimits.Default.MaxDatagramBytes;
        /// <summary>Longest header-section line (start line, header row or continuation); beyond it 400 on unicast.</summary>
        public int MaxLineLength { get; set; } = SipParserLimits.Default.MaxLineLength;
        /// <summary>Most header rows in a message; beyond it 400 on unicast.</summary>
        public int MaxHeaderCount { get; set; } = SipParserLimits.Default.MaxHeaderCount;
    }

    public sealed class RegistrySettings
    {
        /// <summary>PostgreSQL connection string; empty = the embedded SQLite file under the data directory. Set in configuration or the environment (<c>SnomActors__Registry__PostgresConnectionString</c>), deliberately not a command-line flag: the password would show in the process list.</summary>
        public string PostgresConnectionString { get; set; } = "";
    }

    public sealed class ShutdownSettings
    {
        /// <summary>
        /// How long a stop may take. NOTIFY transactions in flight (Timer F is 32 s) get all of it but a
        /// reserve of a tenth (0.5–2 s) for the registry's last batch and the rest of the shutdown.
        /// </summary>
        public int DrainTimeoutSeconds { get; set; } = 35;
    }

    public sealed class HttpSettings
    {
        /// <summary>Where Kestrel listens; several separated by ';'. <c>--http-url</c>.</summary>
        public string Urls { get; set; } = "http://0.0.0.0:8080";
        /// <summary>What phones unknown to the registry get from /settings: <c>NotFound</c> (404) or <c>ServeGeneral</c>.</summary>
        public string UnknownDevices { get; set; } = "NotFound";
        /// <summary>HTTPS certificate (PKCS#12 or PEM) for https:// URLs, its password and PEM key.</summary>
        public string CertificatePath { get; set; } = "";
        public string CertificatePassword { get; set; } = "";
        public string CertificateKeyPath { get; set; } = "";
        /// <summary>Settings downloads admitted per second (0 = unlimited) and burst.</summary>
        public double DownloadsPerSecond { get; set; } = 2000;
        public int DownloadBurst { get; set; } = 2000;
        /// <summary>Host name or address phones use to reach us, when it cannot be taken from the interface.</summary>
        public string PublicHost { get; set; } = "";
        /// <summary>
        /// Allow <c>POST /api/simulations</c> (the page's "Boot simulated phones"): simulated phones
        /// run the real exchange against this daemon and appear in its registry. False answers 403.
        /// </summary>
        public bool SimulatedBoot { get; set; } = true;
    }

    public sealed class ProvisioningSettings
    {
        /// <summary>The default URL template. <c>--provisioning-url</c>.</summary>
        public string UrlTemplate { get; set; } = "http://{server}:{port}/settings/{mac}.xml";
        public Dictionary<string, string> VendorUrlTemplates { get; set; } = new(StringComparer.OrdinalIgnoreCase);
        public Dictionary<string, string> ModelUrlTemplates { get; set; } = new(StringComparer.OrdinalIgnoreCase);
        public Dictionary<string, string> MacUrlTemplates { get; set; } = new(StringComparer.OrdinalIgnoreCase);
        /// <summary><c>ProvisionAll</c> (default), <c>AllowListOnly</c> or <c>Enrolment</c>. <c>--admission</c>.</summary>
        public UnknownDevicePolicy UnknownDevices { get; set; } = UnknownDevicePolicy.ProvisionAll;
        /// <summary>MACs or OUIs (6 hex digits) always allowed.</summary>
        public List<string> Allow { get; set; } = [];
        /// <summary>MACs or OUIs never provisioned.</summary>
        public List<string> Deny { get; set; } = [];
        /// <summary>With <c>Enrolment</c>: minutes the window stays open after start. <c>--enrolment-minutes</c>.</summary>
        public int EnrolmentMinutes { get; set; }
        /// <summary>Ignore multicast SUBSCRIBEs from senders outside the arrival interface's subnet.</summary>
        public bool RequireOnLinkMulticastSource { get; set; } = true;
        public bool AppendCrLfToUrlBody { get; set; }
    }

    /// <summary>The first HTTP URL's port (what <c>{port}</c> in URL templates stands for).</summary>
    public int HttpPort() => FirstHttpUrl() is { } uri ? uri.Port : 8080;

    /// <summary>
    /// What <c>{server}</c> in URL templates stands for: <c>Http:PublicHost</c> when set, else the
    /// first HTTP URL's host when it names one address or name (<c>--http-url http://10.0.0.5:8080</c>,
    /// <c>localhost</c> included), else empty — a wildcard (<c>0.0.0.0</c>, <c>*</c>, <c>+</c>,
    /// <c>[::]</c>) listens everywhere, so the address of the interface the SUBSCRIBE arrived on is used.
    /// </summary>
    public string ServerHost()
    {
        if (Http.PublicHost.Length > 0) return Http.PublicHost;
        if (FirstHttpUrl() is not { } uri) return "";
        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
            && IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address)
            && (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)))
            return "";
        return uri.Host; // IPv6 keeps its brackets, as a URL needs them
    }

    private Uri? FirstHttpUrl()
    {
        var first = Http.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (first is null) return null;
        var normalised = first.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        return Uri.TryCreate(normalised, UriKind.Absolute, out var uri) ? uri : null;
    }

    /// <summary>
    /// Upper bound of <c>Sip:ResyncPerSecond</c>: five times the download admission's default rate
    /// (2,000/s), so a site that raises that limit can follow, while a slip such as 2e6 is refused.
    /// </summary>
    public const double MaxResyncPerSecond = 10_000;

    /// <summary>Checks the settings and turns them into the PnP core's options; throws naming the bad setting.</summary>
    public PnpOptions ToPnpOptions(int boundSipPort)
    {
        var (macs, ouis) = ParseDeviceList(Provisioning.Allow, "Provisioning:Allow");
        var (deniedMacs, deniedOuis) = ParseDeviceList(Provisioning.Deny, "Provisioning:Deny");
        if (Provisioning.EnrolmentMinutes < 0) throw new ArgumentException("Provisioning:EnrolmentMinutes must not be negative.");
        var macTemplates = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, template) in Provisioning.MacUrlTemplates)
        {
            if (!MacAddress.TryNormalize(key, out var mac)) throw new ArgumentException($"Provisioning:MacUrlTemplates key '{key}' is not a MAC address.");
            macTemplates[mac] = template;
        }
        if (Sip.RatePerSource < 0 || Sip.RateGlobal < 0 || Sip.RatePerSourceBurst < 1 || Sip.RateGlobalBurst < 1)
            throw new ArgumentException("Sip rate limits must be >= 0 with bursts >= 1.");
        if (Sip.MaxLiveDialogs < 1) throw new ArgumentException("Sip:MaxLiveDialogs must be at least 1.");
        if (Sip.NotifiesPerSecond < 0 || (Sip.NotifiesPerSecond > 0 && (Sip.NotifyBurst < 1 || Sip.NotifyQueueLimit < 1)))
            throw new ArgumentException("Sip:NotifiesPerSecond must be >= 0 (0 = unpaced); when pacing, Sip:NotifyBurst and Sip:NotifyQueueLimit must be at least 1.");
        if (!(Sip.ResyncPerSecond > 0 && Sip.ResyncPerSecond <= MaxResyncPerSecond))
            throw new ArgumentException($"Sip:ResyncPerSecond must be more than 0 and at most {MaxResyncPerSecond} (check-syncs per second; default 20), not {Sip.ResyncPerSecond}.");
        if (Sip.T1Milliseconds < 1 || Sip.T2Milliseconds < Sip.T1Milliseconds || Sip.T4Milliseconds < 0)
            throw new ArgumentException("Sip timers must satisfy 0 < T1 <= T2 and T4 >= 0.");
        if (Sip.MaxDatagramBytes is < 1 or > 65_535) throw new ArgumentException($"Sip:MaxDatagramBytes {Sip.MaxDatagramBytes} is not in 1-65535.");
        if (Sip.MaxLineLength < 1) throw new ArgumentException($"Sip:MaxLineLength {Sip.MaxLineLength} must be at least 1.");
        if (Sip.MaxHeaderCount < 1) throw new ArgumentException($"Sip:MaxHeaderCount {Sip.MaxHeaderCount} must be at least 1.");
        return new PnpOptions
        {
            ProvisioningUrlTemplate = Provisioning.UrlTemplate,
            VendorUrlTemplates = Provisioning.VendorUrlTemplates.ToDictionary(kv => kv.Key.ToLowerInvariant(), kv => kv.Value),
            ModelUrlTemplates = new Dictionary<string, string>(Provisioning.ModelUrlTemplates, StringComparer.OrdinalIgnoreCase),
            MacUrlTemplates = macTemplates,
            ServerHost = ServerHost(),
            HttpPort = HttpPort(),
            SipPort = boundSipPort,
            UnknownDevices = Provisioning.UnknownDevices,
            AllowedMacs = macs,
            AllowedOuis = ouis,
            DeniedMacs = deniedMacs,
            DeniedOuis = deniedOuis,
            InitialEnrolmentWindow = TimeSpan.FromMinutes(Provisioning.EnrolmentMinutes),
            RequireOnLinkMulticastSource = Provisioning.RequireOnLinkMulticastSource,
            MaxLiveDialogs = Sip.MaxLiveDialogs,
            RetryAfterSeconds = Sip.RetryAfterSeconds,
            ResyncPerSecond = Sip.ResyncPerSecond,
            NotifyPacing = new Overload.NotifyPacingOptions(Sip.NotifiesPerSecond, Sip.NotifyBurst, Sip.NotifyQueueLimit),
            RateLimits = new Overload.RateLimitOptions(Sip.RatePerSource, Sip.RatePerSourceBurst, Sip.RateGlobal, Sip.RateGlobalBurst, Sip.RateExemptLoopback),
            AppendCrLfToUrlBody = Provisioning.AppendCrLfToUrlBody,
            ParserLimits = new SipParserLimits(Sip.MaxDatagramBytes, Sip.MaxHeaderCount, Sip.MaxLineLength),
            Timers = new SipTimers(TimeSpan.FromMilliseconds(Sip.T1Milliseconds), TimeSpan.FromMilliseconds(Sip.T2Milliseconds), TimeSpan.FromMilliseconds(Sip.T4Milliseconds)),
        };
    }

    private static (HashSet<string> Macs, HashSet<string> Ouis) ParseDeviceList(IEnumerable<string> entries, string key)
    {
        var macs = new HashSet<string>(StringComparer.Ordinal);
        var ouis = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var text = entry.Trim();
            if (MacAddress.TryNormalize(text, out var mac)) macs.Add(mac);
            else if (text.Replace(":", "").Replace("-", "") is { Length: 6 } oui && oui.All(Uri.IsHexDigit)) ouis.Add(oui.ToLowerInvariant());
            else throw new ArgumentException($"{key} entry '{entry}' is neither a MAC nor an OUI (6 hex digits).");
        }
        return (macs, ouis);
    }

    /// <summary>The UDP transport options; throws naming the bad setting.</summary>
    public UdpTransportOptions ToUdpOptions()
    {
        var address = IPAddress.Any;
        if (Sip.Address.Length > 0 && !IPAddress.TryParse(Sip.Address, out address!))
            throw new ArgumentException($"--sip-address '{Sip.Address}' is not an IPv4 address.");
        if (Sip.Port is < 0 or > 65535) throw new ArgumentException($"--sip-port {Sip.Port} is not in 0-65535.");
        var options = new UdpTransportOptions
        {
            BindAddress = address,
            Port = Sip.Port,
            EnableMulticast = Sip.Multicast,
            MulticastInterfaces = Sip.MulticastInterfaces,
            ReceiveBufferBytes = Sip.ReceiveBufferBytes,
        };
        options.Validate();
        return options;
    }
}
