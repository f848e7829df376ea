using Microsoft.AspNetCore.Http;
using SnomActors.Registry.Model;

namespace SnomActors.Http.Security;

/// <summary>The verdict of a <see cref="IDownloadProtection"/> check.</summary>
/// <param name="Allowed">True: serve the settings.</param>
/// <param name="StatusCode">Status sent when refused (401 with a challenge, or 404 so a prober learns nothing).</param>
/// <param name="Challenge">A <c>WWW-Authenticate</c> value to send with a 401, or null.</param>
/// <param name="Reason">Why it was refused, for counters and logs (never a secret).</param>
public sealed record DownloadProtectionResult(bool Allowed, int StatusCode = 200, string? Challenge = null, string? Reason = null)
{
    /// <summary>Serve it.</summary>
    public static readonly DownloadProtectionResult Allow = new(true);

    /// <summary>Several <c>WWW-Authenticate</c> values (e.g. Digest with SHA-256 and with MD5); used instead of <see cref="Challenge"/> when set.</summary>
    public IReadOnlyList<string>? Challenges { get; init; }

    /// <summary>For a 429: when the source may try again.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>Refuse with <paramref name="statusCode"/>.</summary>
    public static DownloadProtectionResult Deny(int statusCode, string reason, string? challenge = null) =>
        new(false, statusCode, challenge, reason);
}

/// <summary>
/// Decides whether a settings download may be served (issue 5 item 4: per-device URL token,
/// HTTP Digest, client certificate; policy per vendor). Called after the MAC is parsed and the
/// device looked up, before anything is rendered: a refused request gets zero settings bytes.
/// Register your implementation in DI before <c>AddSnomActorsHttp</c> (or replace the service);
/// the default lets every download through, as an operator expects on first start.
/// </summary>
public interface IDownloadProtection
{
    /// <summary>Checks one request. <paramref name="device"/> is null for a phone the registry does not know.</summary>
    ValueTask<DownloadProtectionResult> CheckAsync(HttpContext context, string mac, DeviceRecord? device, CancellationToken cancellationToken);
}

/// <summary>No protection: the default of the HTTP library (the daemon installs <see cref="PolicyDownloadProtection"/>).</summary>
public sealed class OpenDownloads : IDownloadProtection
{
    /// <inheritdoc />
    public ValueTask<DownloadProtectionResult> CheckAsync(HttpContext context, string mac, DeviceRecord? device, CancellationToken cancellationToken) =>
        ValueTask.FromResult(DownloadProtectionResult.Allow);
}
