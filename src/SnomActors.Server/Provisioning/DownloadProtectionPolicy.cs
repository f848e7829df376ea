namespace SnomActors.Server.Provisioning;

/// <summary>How a phone proves it may download its settings file (issue 5 item 4).</summary>
public enum DownloadProtectionMode
{
    /// <summary>Anyone who knows the URL gets the file: the first-start default.</summary>
    None,

    /// <summary>A per-device secret token in the provisioning URL the NOTIFY carries (nothing to set on the phone).</summary>
    Token,

    /// <summary>HTTP Digest (RFC 7616) with user name = MAC and a per-device password variable.</summary>
    Digest,

    /// <summary>A TLS client certificate (phones' factory certificates) naming the device's MAC.</summary>
    ClientCertificate,
}

/// <summary>
/// Which <see cref="DownloadProtectionMode"/> applies to a phone: one per vendor, else the default.
/// Shared by the PnP core (does the NOTIFY URL need a token?) and the HTTP side (what does a download
/// have to show?), so both always agree.
/// </summary>
public sealed record DownloadProtectionPolicy
{
    /// <summary>No protection for anyone.</summary>
    public static readonly DownloadProtectionPolicy Open = new();

    /// <summary>The mode of vendors without an entry in <see cref="Vendors"/>.</summary>
    public DownloadProtectionMode Default { get; init; } = DownloadProtectionMode.None;

    /// <summary>Per-vendor modes, keyed by vendor key (<c>snom</c>, <c>yealink</c> …; case-insensitive).</summary>
    public IReadOnlyDictionary<string, DownloadProtectionMode> Vendors { get; init; } =
        new Dictionary<string, DownloadProtectionMode>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The mode for a phone of <paramref name="vendor"/> (null or unknown vendor: the default).</summary>
    public DownloadProtectionMode ModeFor(string? vendor)
    {
        if (vendor is null) return Default;
        // The dictionary may come from configuration binding with an ordinal comparer.
        foreach (var (key, mode) in Vendors)
            if (string.Equals(key, vendor, StringComparison.OrdinalIgnoreCase)) return mode;
        return Default;
    }

    /// <summary>True when any vendor (or the default) uses <paramref name="mode"/>.</summary>
    public bool Uses(DownloadProtectionMode mode) => Default == mode || Vendors.Values.Contains(mode);

    /// <summary>
    /// Builds a policy from configuration text (<c>None</c>, <c>Token</c>, <c>Digest</c>,
    /// <c>ClientCertificate</c>, case-insensitive); throws <see cref="ArgumentException"/> naming the bad entry.
    /// </summary>
    public static DownloadProtectionPolicy Parse(string? defaultMode, IEnumerable<KeyValuePair<string, string?>>? vendors)
    {
        var result = new Dictionary<string, DownloadProtectionMode>(StringComparer.OrdinalIgnoreCase);
        foreach (var (vendor, text) in vendors ?? [])
            result[vendor.Trim().ToLowerInvariant()] = ParseMode(text, $"DownloadProtection:Vendors:{vendor}");
        return new DownloadProtectionPolicy
        {
            Default = string.IsNullOrWhiteSpace(defaultMode) ? DownloadProtectionMode.None : ParseMode(defaultMode, "DownloadProtection:Default"),
            Vendors = result,
        };
    }

    private static DownloadProtectionMode ParseMode(string? text, string setting) =>
        Enum.TryParse<DownloadProtectionMode>(text?.Trim(), ignoreCase: true, out var mode) && Enum.IsDefined(mode)
            ? mode
            : throw new ArgumentException($"{setting} '{text}' is not None, Token, Digest or ClientCertificate.");
}
