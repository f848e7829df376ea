using Akka.Actor;
using Akka.Hosting;
using SnomActors.Registry.Actors;
using SnomActors.Registry.Config;
using SnomActors.Registry.Model;
using R = SnomActors.Registry.Actors.DeviceRegistry;

namespace SnomActors.Http.Hosting;

/// <summary>
/// The HTTP side's one door to the registry: every read and write is a message to the
/// <see cref="DeviceRegistry"/> actor, which answers device queries from memory (including changes
/// not yet written) and runs store calls off its thread. Found through Akka.Hosting's
/// <see cref="IRequiredActor{TKey}"/> under <see cref="DeviceRegistryActorKey"/>.
/// </summary>
public sealed class RegistryAccess(IRequiredActor<DeviceRegistryActorKey> registry, HttpOptions options, TimeProvider time)
{
    /// <summary>Current clock.</summary>
    public DateTimeOffset Now => time.GetUtcNow();

    private async Task<T> AskAsync<T>(object message, CancellationToken ct)
    {
        var actor = await registry.GetAsync(ct).ConfigureAwait(false);
        return await actor.Ask<T>(message, options.RegistryTimeout, ct).ConfigureAwait(false);
    }

    /// <summary>One device as the registry knows it now, or null.</summary>
    public async Task<DeviceRecord?> GetDeviceAsync(string mac, CancellationToken ct) =>
        (await AskAsync<R.DeviceResult>(new R.GetDevice(mac), ct).ConfigureAwait(false)).Device;

    /// <summary>A filtered page of devices.</summary>
    public Task<DevicePage> ListDevicesAsync(DeviceQuery query, CancellationToken ct) => AskAsync<DevicePage>(new R.ListDevices(query), ct);

    /// <summary>Counts per state.</summary>
    public Task<RegistryStats> GetStatsAsync(CancellationToken ct) => AskAsync<RegistryStats>(R.GetStats.Instance, ct);

    /// <summary>Provisioning over time.</summary>
    public Task<ProvisioningTimeline> GetTimelineAsync(DateTimeOffset from, DateTimeOffset to, TimeSpan bucket, CancellationToken ct) =>
        AskAsync<ProvisioningTimeline>(new R.GetTimeline(from, to, bucket), ct);

    /// <summary>Downloads of one device, newest first.</summary>
    public async Task<IReadOnlyList<DownloadRecord>> ListDownloadsAsync(string mac, int limit, CancellationToken ct) =>
        (await AskAsync<R.DownloadList>(new R.ListDownloads(mac, limit), ct).ConfigureAwait(false)).Downloads;

    /// <summary>Records a download (Tell; the registry batches it).</summary>
    /// <param name="mac">Normalised MAC.</param>
    /// <param name="status">HTTP status sent.</param>
    /// <param name="bytes">Body bytes sent.</param>
    /// <param name="etag">ETag sent, if any.</param>
    /// <param name="sourceIp">Client address.</param>
    /// <param name="path">Request path.</param>
    /// <param name="method">HTTP method (<c>GET</c>/<c>HEAD</c>).</param>
    /// <param name="settings">The settings document version rendered, when one was.</param>
    public void RecordDownload(string mac, int status, long bytes, string? etag, string? sourceIp, string? path,
        string? method = null, SettingsVersionRef? settings = null)
    {
        var at = Now;
        var message = new R.RecordDownload(mac, at, sourceIp, status, bytes, etag, path) { Method = method, Settings = settings };
        // GetAsync completes at once after the first call; a download is never held up by it.
        _ = registry.GetAsync().ContinueWith(
            t => t.Result.Tell(message),
            CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Deletes a device; false when unknown.</summary>
    public async Task<bool> DeleteDeviceAsync(string mac, CancellationToken ct) =>
        (await AskAsync<R.DeviceDeleted>(new R.DeleteDevice(mac), ct).ConfigureAwait(false)).Existed;

    /// <summary>Sets a device's admission; false when unknown.</summary>
    public async Task<bool> SetAdmissionAsync(string mac, AdmissionState admission, CancellationToken ct) =>
        (await AskAsync<R.DeviceResult>(new R.SetAdmission(mac, admission), ct).ConfigureAwait(false)).Device is not null;

    /// <summary>Live settings documents (current versions).</summary>
    public async Task<IReadOnlyList<SettingsDocumentSummary>> ListSettingsDocumentsAsync(CancellationToken ct) =>
        (await AskAsync<R.SettingsDocumentList>(R.ListSettingsDocuments.Instance, ct).ConfigureAwait(false)).Documents;

    /// <summary>History of one document, newest first.</summary>
    public async Task<IReadOnlyList<SettingsVersionInfo>> ListSettingsVersionsAsync(SettingsScope scope, string? key, CancellationToken ct) =>
        (await AskAsync<R.SettingsVersionList>(new R.ListSettingsVersions(scope, key), ct).ConfigureAwait(false)).Versions;

    /// <summary>One version, or the current one when <paramref name="version"/> is null.</summary>
    public async Task<SettingsDocumentVersion?> GetSettingsAsync(SettingsScope scope, string? key, int? version, CancellationToken ct) =>
        (await AskAsync<R.SettingsResult>(new R.GetSettings(scope, key, version), ct).ConfigureAwait(false)).Document;

    /// <summary>Adds a version.</summary>
    public Task<SettingsDocumentVersion> AddSettingsVersionAsync(SettingsScope scope, string? key, string content, string? author, CancellationToken ct) =>
        AskAsync<SettingsDocumentVersion>(new R.AddSettingsVersion(scope, key, content, author), ct);

    /// <summary>Deletes a live document; false when there was none.</summary>
    public async Task<bool> DeleteSettingsAsync(SettingsScope scope, string? key, CancellationToken ct) =>
        (await AskAsync<R.SettingsDeleted>(new R.DeleteSettingsDocument(scope, key), ct).ConfigureAwait(false)).Existed;

    /// <summary>Variables of one device.</summary>
    public async Task<IReadOnlyDictionary<string, string>> GetVariablesAsync(string mac, CancellationToken ct) =>
        (await AskAsync<DeviceVariables>(new R.GetVariables(mac), ct).ConfigureAwait(false)).Values;

    /// <summary>Replaces all variables of one device.</summary>
    public Task ReplaceVariablesAsync(string mac, IReadOnlyDictionary<string, string> values, CancellationToken ct) =>
        AskAsync<R.VariablesSaved>(new R.ReplaceVariables(mac, values), ct);

    /// <summary>Imports many devices' variables in one transaction.</summary>
    public Task ImportVariablesAsync(IReadOnlyList<DeviceVariables> rows, VariableImportMode mode, CancellationToken ct) =>
        AskAsync<R.VariablesSaved>(new R.ImportVariables(rows, mode), ct);

    /// <summary>A device's download token (null when it has none), issuing one first when <paramref name="issueIfMissing"/>.</summary>
    public async Task<string?> GetDownloadTokenAsync(string mac, bool issueIfMissing, CancellationToken ct) =>
        (await AskAsync<R.DownloadTokenResult>(new R.GetDownloadToken(mac, issueIfMissing), ct).ConfigureAwait(false)).Token;

    /// <summary>Replaces a device's download token; returns the new one.</summary>
    public async Task<string> RotateDownloadTokenAsync(string mac, CancellationToken ct) =>
        (await AskAsync<R.DownloadTokenResult>(new R.RotateDownloadToken(mac), ct).ConfigureAwait(false)).Token!;

    /// <summary>Every device's variables.</summary>
    public async Task<IReadOnlyList<DeviceVariables>> ExportVariablesAsync(CancellationToken ct) =>
        (await AskAsync<R.VariablesExport>(R.ExportVariables.Instance, ct).ConfigureAwait(false)).Rows;
}
