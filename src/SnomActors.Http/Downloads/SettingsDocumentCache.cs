using System.Collections.Concurrent;
using SnomActors.Http.Hosting;
using SnomActors.Http.Settings;
using SnomActors.Registry.Model;

namespace SnomActors.Http.Downloads;

/// <summary>
/// Settings documents held in memory for downloads, so a boot storm of hundreds of phones
/// resolves its files without a database round trip each: the list of live documents (one query,
/// refreshed after <see cref="HttpOptions.SettingsCacheTtl"/> or at once when the API writes), and
/// the content of each version fetched once (a version never changes).
/// </summary>
public sealed class SettingsDocumentCache(RegistryAccess registry, HttpOptions options, TimeProvider time)
{
    private const int MaxCachedContents = 10_000;

    private sealed record Snapshot(DateTimeOffset LoadedAt, IReadOnlyDictionary<(SettingsScope, string), SettingsVersionInfo> Live);

    private volatile Snapshot? _snapshot;
    private long _generation;
    private readonly SemaphoreSlim _loading = new(1, 1);
    private readonly ConcurrentDictionary<(SettingsScope, string, int), SettingsDocumentVersion> _contents = new();

    /// <summary>Drops the list of live documents; the next resolution reloads it.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _snapshot = null;
    }

    /// <summary>Resolves a phone's document: per MAC, model, vendor, general.</summary>
    public async ValueTask<SettingsResolution<SettingsDocumentVersion>?> ResolveAsync(string mac, string? model, string? vendor, CancellationToken ct)
    {
        var live = (await GetAsync(ct).ConfigureAwait(false)).Live;
        var chosen = SettingsResolver.Resolve(mac, model, vendor, (level, key) => live.GetValueOrDefault((ToScope(level), key)));
        if (chosen is null) return null;
        var info = chosen.Document;
        if (!_contents.TryGetValue((info.Scope, info.Key, info.Version), out var document))
        {
            document = await registry.GetSettingsAsync(info.Scope, info.Scope == SettingsScope.General ? null : info.Key, info.Version, ct).ConfigureAwait(false);
            if (document is null) return null; // vanished between list and fetch: treat as absent
            if (_contents.Count >= MaxCachedContents) _contents.Clear();
            _contents[(info.Scope, info.Key, info.Version)] = document;
        }
        return new SettingsResolution<SettingsDocumentVersion>(chosen.Level, chosen.Key, document);
    }

    /// <summary>The registry scope of a resolver level.</summary>
    public static SettingsScope ToScope(SettingsLevel level) => level switch
    {
        SettingsLevel.Mac => SettingsScope.Mac,
        SettingsLevel.Model => SettingsScope.Model,
        SettingsLevel.Vendor => SettingsScope.Vendor,
        _ => SettingsScope.General,
    };

    private bool Fresh(Snapshot? s) => s is not null && time.GetUtcNow() - s.LoadedAt < options.SettingsCacheTtl;

    private async ValueTask<Snapshot> GetAsync(CancellationToken ct)
    {
        var snapshot = _snapshot;
        if (Fresh(snapshot)) return snapshot!;
        await _loading.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            snapshot = _snapshot;
            if (Fresh(snapshot)) return snapshot!;
            var loadedAt = time.GetUtcNow();
            var generation = Interlocked.Read(ref _generation);
            var list = await registry.ListSettingsDocumentsAsync(ct).ConfigureAwait(false);
            snapshot = new Snapshot(loadedAt, list.ToDictionary(d => (d.Current.Scope, d.Current.Key), d => d.Current));
            // An upload that invalidated while this load ran may be missing from it: use it once, do not keep it.
            if (Interlocked.Read(ref _generation) == generation) _snapshot = snapshot;
            return snapshot;
        }
        finally { _loading.Release(); }
    }
}
