using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using SnomActors.Http.Hosting;
using SnomActors.Registry.Model;
using SnomActors.Server.Provisioning;

namespace SnomActors.Http.Security;

/// <summary>
/// The settings download protection of issue 5 item 4, chosen per vendor by the
/// <see cref="DownloadProtectionPolicy"/>:
/// <list type="bullet">
/// <item><see cref="DownloadProtectionMode.Token"/>: the URL's <c>token</c> query parameter must be the
/// phone's token (constant-time); otherwise 404 exactly like an unknown phone, so a prober learns nothing.</item>
/// <item><see cref="DownloadProtectionMode.Digest"/>: RFC 7616 Digest, user = MAC, password = the phone's
/// password variable; otherwise 401 with SHA-256 and MD5 challenges.</item>
/// <item><see cref="DownloadProtectionMode.ClientCertificate"/>: over HTTPS, a client certificate from a
/// configured CA naming the MAC; otherwise 404.</item>
/// </list>
/// Every refusal with wrong or missing credentials is counted and feeds the per-source back-off;
/// a blocked source gets 429 + Retry-After whatever it sends. Secrets are never logged.
/// </summary>
public sealed class PolicyDownloadProtection : IDownloadProtection
{
    private readonly IDownloadTokens _tokens;
    private readonly FailureBackoff _backoff;
    private readonly SecurityCounters _counters;
    private readonly RegistryAccess _registry;
    private readonly DigestAuthenticator _digest;
    private readonly ClientCertificateCheck? _certificates;
    private readonly SecurityOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates the protection; <paramref name="certificates"/> is required when the policy uses client certificates.</summary>
    public PolicyDownloadProtection(SecurityOptions options, IDownloadTokens tokens, FailureBackoff backoff, SecurityCounters counters,
        RegistryAccess registry, DigestAuthenticator digest, ClientCertificateCheck? certificates, TimeProvider time)
    {
        _options = options;
        _tokens = tokens;
        _backoff = backoff;
        _counters = counters;
        _registry = registry;
        _digest = digest;
        _certificates = certificates;
        _time = time;
        if (options.NeedsClientCertificates && certificates is null)
            throw new ArgumentException("The ClientCertificate protection needs a CA bundle.", nameof(certificates));
    }

    /// <inheritdoc />
    public async ValueTask<DownloadProtectionResult> CheckAsync(HttpContext context, string mac, DeviceRecord? device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var mode = _tokens.Policy.ModeFor(device?.Vendor);
        if (mode == DownloadProtectionMode.None) return DownloadProtectionResult.Allow;
        var source = context.Connection.RemoteIpAddress;
        if (_backoff.IsBlocked(source, out var retryAfter))
        {
            _counters.BackoffRefused("download");
            return DownloadProtectionResult.Deny(StatusCodes.Status429TooManyRequests, "backoff") with
            {
                RetryAfterSeconds = (int)Math.Ceiling(retryAfter.TotalSeconds),
            };
        }
        return mode switch
        {
            DownloadProtectionMode.Token => CheckToken(context, mac),
            DownloadProtectionMode.Digest => await CheckDigestAsync(context, mac, cancellationToken).ConfigureAwait(false),
            DownloadProtectionMode.ClientCertificate => await CheckCertificateAsync(context, mac, cancellationToken).ConfigureAwait(false),
            _ => DownloadProtectionResult.Allow,
        };
    }

    private DownloadProtectionResult CheckToken(HttpContext context, string mac)
    {
        var values = context.Request.Query[ProvisioningUrlResolver.TokenParameter];
        var presented = values.Count == 1 ? values[0] : null;
        if (_tokens.Matches(mac, presented)) return DownloadProtectionResult.Allow;
        return Refuse(context, "token", presented is null ? "missing" : "wrong", StatusCodes.Status404NotFound);
    }

    private async ValueTask<DownloadProtectionResult> CheckDigestAsync(HttpContext context, string mac, CancellationToken ct)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (context.Request.Path + context.Request.QueryString).ToString();
        var variables = await _registry.GetVariablesAsync(mac, ct).ConfigureAwait(false);
        var password = variables.GetValueOrDefault(_options.DigestPasswordVariable);
        var outcome = _digest.Verify(authorization, context.Request.Method, target, mac, string.IsNullOrEmpty(password) ? null : password);
        switch (outcome)
        {
            case DigestOutcome.Ok:
                return DownloadProtectionResult.Allow;
            case DigestOutcome.Missing:
                return DownloadProtectionResult.Deny(StatusCodes.Status401Unauthorized, "digest-missing") with { Challenges = _digest.Challenges(mac) };
            case DigestOutcome.Stale:
                return DownloadProtectionResult.Deny(StatusCodes.Status401Unauthorized, "digest-stale") with { Challenges = _digest.Challenges(mac, stale: true) };
            default:
                var refusal = Refuse(context, "digest", outcome.ToString().ToLowerInvariant(), StatusCodes.Status401Unauthorized);
                return refusal with { Challenges = _digest.Challenges(mac) };
        }
    }

    private async ValueTask<DownloadProtectionResult> CheckCertificateAsync(HttpContext context, string mac, CancellationToken ct)
    {
        if (!context.Request.IsHttps) return Refuse(context, "certificate", "not-https", StatusCodes.Status404NotFound);
        var certificate = await context.Connection.GetClientCertificateAsync(ct).ConfigureAwait(false);
        var outcome = _certificates!.Check(certificate, mac, _time.GetUtcNow());
        return outcome == ClientCertificateOutcome.Ok
            ? DownloadProtectionResult.Allow
            : Refuse(context, "certificate", outcome.ToString().ToLowerInvariant(), StatusCodes.Status404NotFound);
    }

    private DownloadProtectionResult Refuse(HttpContext context, string mode, string reason, int status)
    {
        _counters.DownloadRefused(mode, reason);
        _backoff.Failure(context.Connection.RemoteIpAddress);
        return DownloadProtectionResult.Deny(status, $"{mode}-{reason}");
    }
}
