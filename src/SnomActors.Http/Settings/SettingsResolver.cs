namespace SnomActors.Http.Settings;

/// <summary>How specific a settings document is; the most specific one a phone matches wins.</summary>
public enum SettingsLevel
{
    /// <summary>One phone, keyed by its normalised MAC.</summary>
    Mac,
    /// <summary>Every phone of a model, keyed by the model name in lower case.</summary>
    Model,
    /// <summary>Every phone of a vendor, keyed by the vendor key.</summary>
    Vendor,
    /// <summary>Every phone; the key is <see cref="SettingsResolver.GeneralKey"/>.</summary>
    General,
}

/// <summary>The document chosen for a phone and why.</summary>
public sealed record SettingsResolution<TDocument>(SettingsLevel Level, string Key, TDocument Document);

/// <summary>
/// Picks a phone's settings document: per-MAC, else per-model, else per-vendor, else general.
/// Pure: the caller supplies the lookup (store, cache or test dictionary).
/// </summary>
public static class SettingsResolver
{
    /// <summary>The key of the one general document (empty, as the registry stores it).</summary>
    public const string GeneralKey = "";

    /// <summary>The order tried, most specific first.</summary>
    public static readonly IReadOnlyList<SettingsLevel> Order =
        [SettingsLevel.Mac, SettingsLevel.Model, SettingsLevel.Vendor, SettingsLevel.General];

    /// <summary>
    /// Normalises a key the way documents are stored and looked up: trimmed, lower-case.
    /// Model and vendor names are matched whole; only case is ignored (<c>D785</c> = <c>d785</c>).
    /// </summary>
    public static string NormalizeKey(string key) => key.Trim().ToLowerInvariant();

    /// <summary>
    /// Tries each level in <see cref="Order"/>; returns null when no document applies.
    /// Levels whose key is unknown for this phone (no model, no vendor) are skipped.
    /// </summary>
    public static SettingsResolution<TDocument>? Resolve<TDocument>(
        string mac, string? model, string? vendor, Func<SettingsLevel, string, TDocument?> lookup)
        where TDocument : class
    {
        ArgumentNullException.ThrowIfNull(mac);
        ArgumentNullException.ThrowIfNull(lookup);
        foreach (var level in Order)
        {
            var key = level switch
            {
                SettingsLevel.Mac => mac,
                SettingsLevel.Model => model,
                SettingsLevel.Vendor => vendor,
                _ => GeneralKey,
            } ?? string.Empty;
            if (level != SettingsLevel.General)
            {
                if (key.Length == 0 || string.IsNullOrWhiteSpace(key)) continue;
                key = NormalizeKey(key);
            }
            var document = lookup(level, key);
            if (document is not null) return new SettingsResolution<TDocument>(level, key, document);
        }
        return null;
    }

    /// <summary>Async form of <see cref="Resolve{TDocument}"/> for a store lookup.</summary>
    public static async ValueTask<SettingsResolution<TDocument>?> ResolveAsync<TDocument>(
        string mac, string? model, string? vendor, Func<SettingsLevel, string, CancellationToken, ValueTask<TDocument?>> lookup,
        CancellationToken cancellationToken = default)
        where TDocument : class
    {
        ArgumentNullException.ThrowIfNull(mac);
        ArgumentNullException.ThrowIfNull(lookup);
        foreach (var level in Order)
        {
            var key = level switch
            {
                SettingsLevel.Mac => mac,
                SettingsLevel.Model => model,
                SettingsLevel.Vendor => vendor,
                _ => GeneralKey,
            } ?? string.Empty;
            if (level != SettingsLevel.General)
            {
                if (key.Length == 0 || string.IsNullOrWhiteSpace(key)) continue;
                key = NormalizeKey(key);
            }
            var document = await lookup(level, key, cancellationToken).ConfigureAwait(false);
            if (document is not null) return new SettingsResolution<TDocument>(level, key, document);
        }
        return null;
    }
}
