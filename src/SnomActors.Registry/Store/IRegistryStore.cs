using SnomActors.Registry.Model;

namespace SnomActors.Registry.Store;

/// <summary>
/// Persistence of the device registry. Two implementations with the same behaviour:
/// <see cref="SqliteRegistryStore"/> (embedded default) and <see cref="PostgresRegistryStore"/>.
/// Every method is safe to call concurrently; transient faults (busy database, refused
/// connection) are retried inside with back-off before an exception escapes.
/// Timestamps are stored as Unix milliseconds (UTC) in both dialects, so they come back
/// truncated to the millisecond with a zero offset.
/// </summary>
public interface IRegistryStore : IAsyncDisposable
{
    /// <summary><c>sqlite</c> or <c>postgresql</c>.</summary>
    string Kind { get; }

    /// <summary>
    /// Opens the store: creates the schema or upgrades it by applying the numbered migrations not
    /// yet recorded in <c>schema_migrations</c>. Idempotent; cheap after the first success.
    /// </summary>
    Task InitializeAsync(CancellationToken ct = default);

    /// <summary>Highest migration applied (0 for an empty database).</summary>
    Task<int> GetSchemaVersionAsync(CancellationToken ct = default);

    // ---- devices, downloads, events -------------------------------------------------------

    /// <summary>Applies a batch in one transaction (see <see cref="RegistryBatch"/> for the order).</summary>
    Task ApplyBatchAsync(RegistryBatch batch, CancellationToken ct = default);

    /// <summary>One device, or null.</summary>
    Task<DeviceRecord?> GetDeviceAsync(string mac, CancellationToken ct = default);

    /// <summary>Every device (the registry actor loads them at start).</summary>
    Task<IReadOnlyList<DeviceRecord>> LoadAllDevicesAsync(CancellationToken ct = default);

    /// <summary>Filtered, paged device list with the total count.</summary>
    Task<DevicePage> ListDevicesAsync(DeviceQuery query, CancellationToken ct = default);

    /// <summary>Deletes a device with its downloads, variables and events; false when it did not exist.</summary>
    Task<bool> DeleteDeviceAsync(string mac, CancellationToken ct = default);

    /// <summary>Counts per state, admission and vendor.</summary>
    Task<RegistryStats> GetStatsAsync(CancellationToken ct = default);

    /// <summary>Downloads of one device, newest first.</summary>
    Task<IReadOnlyList<DownloadRecord>> ListDownloadsAsync(string mac, int limit = 100, CancellationToken ct = default);

    /// <summary>Timeline events of one device, newest first.</summary>
    Task<IReadOnlyList<DeviceEvent>> ListEventsAsync(string mac, int limit = 100, CancellationToken ct = default);

    /// <summary>Event counts per bucket in [from, to), every bucket present.</summary>
    Task<ProvisioningTimeline> GetTimelineAsync(DateTimeOffset from, DateTimeOffset to, TimeSpan bucket, CancellationToken ct = default);

    /// <summary>Deletes timeline events older than <paramref name="before"/>; returns how many.</summary>
    Task<int> PruneEventsAsync(DateTimeOffset before, CancellationToken ct = default);

    // ---- settings documents ---------------------------------------------------------------

    /// <summary>
    /// Adds a version (number = previous highest + 1; a deleted document comes back to life with
    /// its history continued). The key is normalised with <see cref="SettingsKeys.Normalize"/>.
    /// </summary>
    Task<SettingsDocumentVersion> AddSettingsVersionAsync(
        SettingsScope scope, string? key, string content, string? author, DateTimeOffset at, CancellationToken ct = default);

    /// <summary>Every live document with its current version, ordered by scope then key.</summary>
    Task<IReadOnlyList<SettingsDocumentSummary>> ListSettingsDocumentsAsync(CancellationToken ct = default);

    /// <summary>The history of one document, newest first (kept after a delete).</summary>
    Task<IReadOnlyList<SettingsVersionInfo>> ListSettingsVersionsAsync(SettingsScope scope, string? key, CancellationToken ct = default);

    /// <summary>One version (also of a deleted document), or null.</summary>
    Task<SettingsDocumentVersion?> GetSettingsVersionAsync(SettingsScope scope, string? key, int version, CancellationToken ct = default);

    /// <summary>The current version of a live document, or null (never existed or deleted).</summary>
    Task<SettingsDocumentVersion?> GetCurrentSettingsAsync(SettingsScope scope, string? key, CancellationToken ct = default);

    /// <summary>
    /// The most specific live document for a device: per MAC, then model, then vendor, then general; null when none.
    /// </summary>
    Task<SettingsDocumentVersion?> ResolveSettingsAsync(string mac, string? vendor, string? model, CancellationToken ct = default);

    /// <summary>
    /// Marks a document deleted: it leaves the list and resolution, its history stays readable.
    /// False when there was no live document.
    /// </summary>
    Task<bool> DeleteSettingsDocumentAsync(SettingsScope scope, string? key, DateTimeOffset at, CancellationToken ct = default);

    // ---- per-device variables -------------------------------------------------------------

    /// <summary>Variables of one device (empty when none).</summary>
    Task<IReadOnlyDictionary<string, string>> GetVariablesAsync(string mac, CancellationToken ct = default);

    /// <summary>Replaces all variables of a device (an empty map removes them all).</summary>
    Task ReplaceVariablesAsync(string mac, IReadOnlyDictionary<string, string> values, CancellationToken ct = default);

    /// <summary>Sets one variable; a null value removes it.</summary>
    Task UpsertVariableAsync(string mac, string name, string? value, CancellationToken ct = default);

    /// <summary>Every device's variables, ordered by MAC.</summary>
    Task<IReadOnlyList<DeviceVariables>> ExportVariablesAsync(CancellationToken ct = default);

    /// <summary>Imports many devices' variables in ONE transaction (all or nothing); returns the number of devices.</summary>
    Task<int> ImportVariablesAsync(IReadOnlyList<DeviceVariables> rows, VariableImportMode mode, CancellationToken ct = default);

    // ---- download tokens ------------------------------------------------------------------

    /// <summary>Every device's download token (MAC → token); the registry loads them into the token table at start.</summary>
    Task<IReadOnlyDictionary<string, string>> LoadDownloadTokensAsync(CancellationToken ct = default);

    /// <summary>Sets (or replaces) one device's download token. The registry writes them in its batches; this is for tools and tests.</summary>
    Task SetDownloadTokenAsync(string mac, string token, DateTimeOffset at, CancellationToken ct = default);
}
