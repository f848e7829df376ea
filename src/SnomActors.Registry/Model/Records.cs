using SnomActors.Sip.Identity;

namespace SnomActors.Registry.Model;

/// <summary>One settings download by a phone over HTTP (all are kept).</summary>
/// <param name="Id">Store-assigned id; 0 while not yet written.</param>
/// <param name="Mac">12 lower-case hex digits (the device may be unknown to the registry).</param>
/// <param name="At">When the response was sent.</param>
/// <param name="SourceIp">Client address, or null.</param>
/// <param name="Status">HTTP status sent (200, 304, 404 …).</param>
/// <param name="Bytes">Body bytes sent.</param>
/// <param name="ETag">ETag of the rendered settings, or null.</param>
/// <param name="Path">Request path (for the operator, never used to build a file name).</param>
public sealed record DownloadRecord(
    long Id, string Mac, DateTimeOffset At, string? SourceIp, int Status, long Bytes, string? ETag, string? Path)
{
    /// <summary>The HTTP method (<c>GET</c> or <c>HEAD</c>); null for rows recorded before schema 5 kept it.</summary>
    public string? Method { get; init; }

    /// <summary>
    /// The settings document version rendered for this answer (200 or 304), so the operator sees
    /// what the phone got; null when none was (400, 404 …) or for rows recorded before schema 5.
    /// </summary>
    public SettingsVersionRef? Settings { get; init; }

    /// <summary>A HEAD request: the phone only asked about the settings, it did not download them.</summary>
    public bool IsHead => string.Equals(Method, "HEAD", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A GET answered 2xx or 304: the phone has the settings. A HEAD never counts, whatever its
    /// status: it carries no body, so the device is not marked downloaded by it.
    /// </summary>
    public bool Succeeded => !IsHead && Status is (>= 200 and < 300) or 304;
}

/// <summary>One version of one settings document, named without its content (what a download served).</summary>
/// <param name="Scope">Selector kind.</param>
/// <param name="Key">Canonical key (<c>""</c> for the general document).</param>
/// <param name="Version">Version number.</param>
public sealed record SettingsVersionRef(SettingsScope Scope, string Key, int Version);

/// <summary>Kinds of timeline events written alongside device changes.</summary>
public enum DeviceEventKind
{
    /// <summary>SUBSCRIBE seen.</summary>
    Seen,
    /// <summary>200 OK sent.</summary>
    Answered,
    /// <summary>NOTIFY sent.</summary>
    Notified,
    /// <summary>NOTIFY acknowledged.</summary>
    Provisioned,
    /// <summary>Attempt failed.</summary>
    Failed,
    /// <summary>Settings downloaded successfully.</summary>
    Downloaded,
}

/// <summary>One step in a device's history; the chart "provisioned per minute" counts these.</summary>
public sealed record DeviceEvent(string Mac, DateTimeOffset At, DeviceEventKind Kind, string? CallId);

/// <summary>Filter and page for device lists. All filters are optional and combined with AND.</summary>
/// <param name="Search">Case-insensitive substring of MAC (separators ignored), vendor, model, firmware, IP or User-Agent.</param>
/// <param name="Vendor">Exact vendor key.</param>
/// <param name="State">Derived state.</param>
/// <param name="Admission">Admission state.</param>
/// <param name="Offset">Rows to skip.</param>
/// <param name="Limit">Rows to return (1..10,000).</param>
public sealed record DeviceQuery(
    string? Search = null, string? Vendor = null, DeviceState? State = null, AdmissionState? Admission = null,
    int Offset = 0, int Limit = 100)
{
    /// <summary>Everything, first page of 100.</summary>
    public static readonly DeviceQuery All = new();
}

/// <summary>One page of devices, ordered by last seen (newest first), then MAC.</summary>
/// <param name="Total">Number of devices matching the filter (all pages).</param>
/// <param name="Devices">This page.</param>
public sealed record DevicePage(int Total, IReadOnlyList<DeviceRecord> Devices);

/// <summary>Counts over the whole registry, plus the registry actor's write-path health when answered by it.</summary>
public sealed record RegistryStats
{
    /// <summary>Number of devices.</summary>
    public required int Total { get; init; }
    /// <summary>Devices per derived state (every state present, possibly 0).</summary>
    public required IReadOnlyDictionary<DeviceState, int> ByState { get; init; }
    /// <summary>Devices per admission state (every state present, possibly 0).</summary>
    public required IReadOnlyDictionary<AdmissionState, int> ByAdmission { get; init; }
    /// <summary>Devices per vendor key.</summary>
    public required IReadOnlyDictionary<string, int> ByVendor { get; init; }
    /// <summary>Changes accepted but not yet written to the store (actor only).</summary>
    public long PendingChanges { get; init; }
    /// <summary>Timeline events and downloads dropped because the pending bound was exceeded while the store was down (actor only).</summary>
    public long DroppedChanges { get; init; }
    /// <summary>Batches written (actor only).</summary>
    public long FlushedBatches { get; init; }
    /// <summary>Batches that failed after the store's own retries (actor only).</summary>
    public long FailedFlushes { get; init; }
    /// <summary>Message of the last store failure, null once a flush succeeded again (actor only).</summary>
    public string? LastStoreError { get; init; }

    /// <summary>Provisioned or further (downloaded): the "N" of "N of M provisioned".</summary>
    public int ProvisionedOrDownloaded =>
        ByState.GetValueOrDefault(DeviceState.Provisioned) + ByState.GetValueOrDefault(DeviceState.Downloaded);
}

/// <summary>Event counts of one time bucket.</summary>
/// <param name="Start">Start of the bucket (UTC, aligned to the bucket size since the Unix epoch).</param>
/// <param name="Seen">SUBSCRIBEs seen.</param>
/// <param name="Provisioned">NOTIFYs acknowledged.</param>
/// <param name="Failed">Failed attempts.</param>
/// <param name="Downloaded">Successful downloads.</param>
public sealed record TimelineBucket(DateTimeOffset Start, int Seen, int Provisioned, int Failed, int Downloaded);

/// <summary>Provisioning over time for the chart: contiguous buckets from <c>From</c> to <c>To</c>, empty ones included.</summary>
public sealed record ProvisioningTimeline(DateTimeOffset From, DateTimeOffset To, TimeSpan BucketSize, IReadOnlyList<TimelineBucket> Buckets);

/// <summary>The selector of a settings document, from least to most specific.</summary>
public enum SettingsScope
{
    /// <summary>What every phone without a more specific document gets (key <c>""</c>).</summary>
    General,
    /// <summary>Per vendor (key = vendor key, lower case).</summary>
    Vendor,
    /// <summary>Per model (key = model name, lower case).</summary>
    Model,
    /// <summary>Per device (key = 12 lower-case hex digits).</summary>
    Mac,
}

/// <summary>Normalisation of settings selectors, shared by the stores, the actor and the HTTP side.</summary>
public static class SettingsKeys
{
    /// <summary>Lower-case name used in the store and the JSON API.</summary>
    public static string ToKey(this SettingsScope scope) => scope switch
    {
        SettingsScope.General => "general",
        SettingsScope.Vendor => "vendor",
        SettingsScope.Model => "model",
        SettingsScope.Mac => "mac",
        _ => throw new ArgumentOutOfRangeException(nameof(scope)),
    };

    /// <summary>Parses <see cref="ToKey(SettingsScope)"/> output (case-insensitive).</summary>
    public static bool TryParse(string? key, out SettingsScope scope)
    {
        foreach (var s in Enum.GetValues<SettingsScope>())
            if (string.Equals(s.ToKey(), key, StringComparison.OrdinalIgnoreCase)) { scope = s; return true; }
        scope = default;
        return false;
    }

    /// <summary>
    /// The canonical key of a document: <c>""</c> for general, lower case for vendor and model,
    /// the normalised MAC for a device. Throws <see cref="ArgumentException"/> for an empty
    /// vendor/model key, a key on the general scope, or a malformed MAC.
    /// </summary>
    public static string Normalize(SettingsScope scope, string? key)
    {
        switch (scope)
        {
            case SettingsScope.General:
                if (!string.IsNullOrEmpty(key)) throw new ArgumentException("The general settings document has no key.", nameof(key));
                return string.Empty;
            case SettingsScope.Vendor:
            case SettingsScope.Model:
                var trimmed = key?.Trim();
                if (string.IsNullOrEmpty(trimmed) || trimmed.Length > 128 || trimmed.Any(char.IsControl))
                    throw new ArgumentException($"A {scope.ToKey()} settings document needs a key of 1 to 128 printable characters.", nameof(key));
                return trimmed.ToLowerInvariant();
            case SettingsScope.Mac:
                if (!MacAddress.TryNormalize(key, out var mac))
                    throw new ArgumentException($"'{key}' is not a MAC address.", nameof(key));
                return mac;
            default:
                throw new ArgumentOutOfRangeException(nameof(scope));
        }
    }
}

/// <summary>One version of a settings document (content included).</summary>
/// <param name="Scope">Selector kind.</param>
/// <param name="Key">Canonical key (<see cref="SettingsKeys.Normalize"/>).</param>
/// <param name="Version">1..n per scope/key.</param>
/// <param name="Content">The document text (XML template).</param>
/// <param name="Author">Who uploaded it, or null.</param>
/// <param name="CreatedAt">When it was uploaded.</param>
/// <param name="SizeBytes">UTF-8 size of <paramref name="Content"/>.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the UTF-8 content.</param>
public sealed record SettingsDocumentVersion(
    SettingsScope Scope, string Key, int Version, string Content, string? Author, DateTimeOffset CreatedAt,
    long SizeBytes, string Sha256);

/// <summary>A version without its content (for lists).</summary>
/// <param name="Scope">Selector kind.</param>
/// <param name="Key">Canonical key.</param>
/// <param name="Version">Version number.</param>
/// <param name="Author">Who uploaded it, or null.</param>
/// <param name="CreatedAt">When it was uploaded.</param>
/// <param name="SizeBytes">UTF-8 size.</param>
/// <param name="Sha256">Lower-case hex SHA-256.</param>
public sealed record SettingsVersionInfo(
    SettingsScope Scope, string Key, int Version, string? Author, DateTimeOffset CreatedAt, long SizeBytes, string Sha256);

/// <summary>A live (not deleted) settings document with its current version summarised.</summary>
/// <param name="Current">The highest version.</param>
/// <param name="VersionCount">How many versions the history holds.</param>
public sealed record SettingsDocumentSummary(SettingsVersionInfo Current, int VersionCount);

/// <summary>Per-device template variables (extension, display_name, sip_user, sip_password …).</summary>
/// <param name="Mac">12 lower-case hex digits.</param>
/// <param name="Values">Name → value.</param>
public sealed record DeviceVariables(string Mac, IReadOnlyDictionary<string, string> Values);

/// <summary>How an import treats variables a device already has.</summary>
public enum VariableImportMode
{
    /// <summary>Each imported device's variables replace all it had.</summary>
    Replace,
    /// <summary>Imported names are upserted; other names are kept.</summary>
    Merge,
}

/// <summary>Rules for variable names, shared with the CSV importer.</summary>
public static class VariableNames
{
    /// <summary>1 to 64 characters of ASCII letters, digits, <c>_</c>, <c>-</c> or <c>.</c>; case-sensitive.</summary>
    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 64
        && name.All(c => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' or '-' or '.');
}

/// <summary>
/// One unit of write work for <see cref="Store.IRegistryStore.ApplyBatchAsync"/>, applied in ONE
/// transaction in this order: deletes (device, its downloads, variables and events), device
/// upserts (full rows), downloads, events.
/// </summary>
/// <param name="Deletes">MACs to delete with everything attached to them.</param>
/// <param name="Devices">Full device rows to insert or overwrite.</param>
/// <param name="Downloads">Downloads to append.</param>
/// <param name="Events">Timeline events to append.</param>
public sealed record RegistryBatch(
    IReadOnlyCollection<string> Deletes,
    IReadOnlyCollection<DeviceRecord> Devices,
    IReadOnlyList<DownloadRecord> Downloads,
    IReadOnlyList<DeviceEvent> Events)
{
    /// <summary>Nothing to write.</summary>
    public static readonly RegistryBatch Empty = new([], [], [], []);

    /// <summary>Download tokens issued or rotated (upserted; one per MAC).</summary>
    public IReadOnlyCollection<SnomActors.Server.Provisioning.DownloadTokenIssued> Tokens { get; init; } = [];

    /// <summary>Number of rows the batch touches.</summary>
    public int Count => Deletes.Count + Devices.Count + Downloads.Count + Events.Count + Tokens.Count;
}
