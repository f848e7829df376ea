using SnomActors.Sip.Building;

namespace SnomActors.Server.Config;

/// <summary>Which devices the daemon answers (protocol.md §1.4, issue 5 admission policy).</summary>
public enum UnknownDevicePolicy
{
    /// <summary>Every phone that asks is provisioned (the first-start default).</summary>
    ProvisionAll,
    /// <summary>Only MACs / OUIs on the allow list; others get silence on multicast and 403 on unicast.</summary>
    AllowListOnly,
    /// <summary>
    /// Unknown phones are provisioned while an enrolment window is open ("accept new phones for the
    /// next 30 minutes"); outside it they are quarantined (listed, not provisioned) until approved.
    /// </summary>
    Enrolment,
}

/// <summary>
/// The PnP core's settings. Bound from the <c>SnomActors:Pnp</c> configuration section and the
/// <c>snomactors run</c> flags.
/// </summary>
public sealed record PnpOptions
{
    /// <summary>
    /// The provisioning URL template for phones without a more specific one. Server-side
    /// placeholders: <c>{mac}</c>, <c>{vendor}</c>, <c>{model}</c>, <c>{version}</c>, <c>{ip}</c>,
    /// <c>{server}</c> (our address as the phone reaches it), <c>{port}</c> (our HTTP port); phone-side macros (<c>$mac</c>, <c>%MACD</c>, <c>{MODEL}</c>) pass through.
    /// </summary>
    public string ProvisioningUrlTemplate { get; init; } = "http://{server}:{port}/settings/{mac}.xml";

    /// <summary>Per-vendor templates (vendor key → template), overriding the default.</summary>
    public IReadOnlyDictionary<string, string> VendorUrlTemplates { get; init; } = new Dictionary<string, string>();

    /// <summary>Per-model templates (model name, case-insensitive → template), overriding per-vendor ones.</summary>
    public IReadOnlyDictionary<string, string> ModelUrlTemplates { get; init; } = new Dictionary<string, string>();

    /// <summary>Per-MAC templates (12 lower hex → template), overriding everything.</summary>
    public IReadOnlyDictionary<string, string> MacUrlTemplates { get; init; } = new Dictionary<string, string>();

    /// <summary>Host that <c>{server}</c> stands for; empty = our address on the interface the SUBSCRIBE arrived on.</summary>
    public string ServerHost { get; init; } = "";

    /// <summary>The HTTP port <c>{port}</c> stands for (from <c>--http-url</c>).</summary>
    public int HttpPort { get; init; } = 8080;

    /// <summary>Port advertised in our Via/Contact (the SIP port actually bound).</summary>
    public int SipPort { get; init; } = 5060;

    public UnknownDevicePolicy UnknownDevices { get; init; } = UnknownDevicePolicy.ProvisionAll;

    /// <summary>Allow-listed MACs (12 lower hex) for <see cref="UnknownDevicePolicy.AllowListOnly"/>.</summary>
    public IReadOnlySet<string> AllowedMacs { get; init; } = new HashSet<string>();

    /// <summary>Allow-listed OUIs (6 lower hex).</summary>
    public IReadOnlySet<string> AllowedOuis { get; init; } = new HashSet<string>();

    /// <summary>Denied MACs (12 lower hex): never provisioned, whatever the policy.</summary>
    public IReadOnlySet<string> DeniedMacs { get; init; } = new HashSet<string>();

    /// <summary>Denied OUIs (6 lower hex).</summary>
    public IReadOnlySet<string> DeniedOuis { get; init; } = new HashSet<string>();

    /// <summary>Operator decisions per device, fed by the registry.</summary>
    public Provisioning.IDeviceAdmission DeviceAdmission { get; init; } = new Provisioning.DeviceAdmissionCache();

    /// <summary>With <see cref="UnknownDevicePolicy.Enrolment"/>: how long the window is open from start (zero = closed).</summary>
    public TimeSpan InitialEnrolmentWindow { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// protocol.md §1.4: a multicast SUBSCRIBE whose source is not on the subnet of the interface it
    /// arrived on is ignored (224.0.1.0/24 is routable; off-link senders are not our phones).
    /// </summary>
    public bool RequireOnLinkMulticastSource { get; init; } = true;

    /// <summary>Cap on live dialogs; beyond it new SUBSCRIBEs get 503 (unicast) or silence (multicast).</summary>
    public int MaxLiveDialogs { get; init; } = 200_000;

    /// <summary>Token buckets on new transactions per source IP and globally.</summary>
    public Overload.RateLimitOptions RateLimits { get; init; } = Overload.RateLimitOptions.Default;

    /// <summary>Retry-After seconds sent with 503.</summary>
    public int RetryAfterSeconds { get; init; } = 5;

    /// <summary>NOTIFY pacing and the bound on NOTIFYs waiting to be sent (issue 5 item 2).</summary>
    public Overload.NotifyPacingOptions NotifyPacing { get; init; } = Overload.NotifyPacingOptions.Default;

    /// <summary>Answer SUBSCRIBEs whose MAC cannot be found (AudioCodes) with the default URL; otherwise silence / 404.</summary>
    public bool ProvisionDevicesWithoutMac { get; init; } = true;

    /// <summary>Append CRLF to the URL body (gs_tools style). Off: snom pnpserv style.</summary>
    public bool AppendCrLfToUrlBody { get; init; }

    /// <summary>Add a trailing '/' to Grandstream URLs, which must be directories (protocol.md §5.2).</summary>
    public bool GrandstreamDirectoryUrls { get; init; } = true;

    /// <summary>
    /// The router's parser limits: datagram size (513 beyond it on unicast), line length and header
    /// rows (400 naming the fault). <c>Sip:MaxDatagramBytes</c>, <c>Sip:MaxLineLength</c>, <c>Sip:MaxHeaderCount</c>.
    /// </summary>
    public Sip.Parsing.SipParserLimits ParserLimits { get; init; } = Sip.Parsing.SipParserLimits.Default;

    /// <summary>RFC 3261 timer base values.</summary>
    public SipTimers Timers { get; init; } = SipTimers.Default;

    /// <summary>Check-sync NOTIFYs started per second by push re-provisioning (<c>resync --all</c>).</summary>
    public double ResyncPerSecond { get; init; } = 20;

    /// <summary>Value of our User-Agent / Server header.</summary>
    public string UserAgent { get; init; } = "SnomActors/1.0";

    /// <summary>
    /// Per-device download tokens (issue 5 item 4): when the policy gives a phone's vendor
    /// <see cref="Provisioning.DownloadProtectionMode.Token"/>, its token goes into the NOTIFY URL
    /// (<c>{token}</c> in the template, else appended as <c>?token=</c>). Null: no tokens.
    /// </summary>
    public Provisioning.IDownloadTokens? DownloadTokens { get; init; }
}
