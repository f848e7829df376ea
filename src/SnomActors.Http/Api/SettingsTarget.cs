using Microsoft.AspNetCore.Http;
using SnomActors.Registry.Model;

namespace SnomActors.Http.Api;

/// <summary>Endpoint metadata: which scope a <c>/api/settings/{scope}/...</c> route serves.</summary>
public sealed record SettingsScopeMetadata(SettingsScope Scope);

/// <summary>
/// The document a <c>/api/settings/...</c> route names: <c>general</c>, or <c>vendor|model|mac/{key}</c>.
/// Bound from the route values; a malformed selector yields <see cref="Error"/>, never an exception.
/// </summary>
public sealed record SettingsTarget(SettingsScope Scope, string Key, string? Error)
{
    /// <summary>The key as the store's methods take it (null for general).</summary>
    public string? StoreKey => Scope == SettingsScope.General ? null : Key;

    /// <summary>Minimal-API binding: the scope from the endpoint's <see cref="SettingsScopeMetadata"/>, the key from the <c>key</c> route value.</summary>
    public static ValueTask<SettingsTarget?> BindAsync(HttpContext context)
    {
        var scope = context.GetEndpoint()?.Metadata.GetMetadata<SettingsScopeMetadata>()?.Scope ?? SettingsScope.General;
        var key = context.Request.RouteValues.TryGetValue("key", out var k) ? k as string : null;
        if (scope == SettingsScope.General) return ValueTask.FromResult<SettingsTarget?>(new SettingsTarget(SettingsScope.General, string.Empty, null));
        try
        {
            return ValueTask.FromResult<SettingsTarget?>(new SettingsTarget(scope, SettingsKeys.Normalize(scope, key), null));
        }
        catch (ArgumentException e)
        {
            return ValueTask.FromResult<SettingsTarget?>(new SettingsTarget(scope, string.Empty,
                scope == SettingsScope.Mac ? $"'{Problems.Printable(key)}' is not a MAC address." : e.Message));
        }
    }
}
