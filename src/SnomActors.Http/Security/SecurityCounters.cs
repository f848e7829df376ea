using System.Collections.Concurrent;
using SnomActors.Server.Metrics;

namespace SnomActors.Http.Security;

/// <summary>
/// Counters of the security checks, exported on <c>/metrics</c> (register as an <see cref="IMetricsSource"/>):
/// failed admin authentications, refused downloads by protection and reason, and requests refused
/// because their source was backing off.
/// </summary>
public sealed class SecurityCounters : IMetricsSource
{
    private readonly ConcurrentDictionary<string, long> _adminFailures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Mode, string Reason), long> _downloadRefusals = new();
    private readonly ConcurrentDictionary<string, long> _backoff = new(StringComparer.Ordinal);

    /// <summary>Failed admin authentications by reason (missing is not counted: a browser's first request carries none).</summary>
    public IReadOnlyDictionary<string, long> AdminFailures => _adminFailures;

    /// <summary>Refused settings downloads by (protection, reason).</summary>
    public IReadOnlyDictionary<(string Mode, string Reason), long> DownloadRefusals => _downloadRefusals;

    /// <summary>Requests refused while their source was blocked, by guard (admin, download).</summary>
    public IReadOnlyDictionary<string, long> BackoffRefusals => _backoff;

    /// <summary>Counts a failed admin authentication.</summary>
    public void AdminFailure(string reason) => _adminFailures.AddOrUpdate(reason, 1, (_, n) => n + 1);

    /// <summary>Counts a refused download.</summary>
    public void DownloadRefused(string mode, string reason) => _downloadRefusals.AddOrUpdate((mode, reason), 1, (_, n) => n + 1);

    /// <summary>Counts a request refused by back-off.</summary>
    public void BackoffRefused(string guard) => _backoff.AddOrUpdate(guard, 1, (_, n) => n + 1);

    /// <inheritdoc />
    public void Write(PrometheusWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Family("snomactors_admin_auth_failures_total", "counter", "Failed authentications on the operator API, by reason.");
        foreach (var (reason, n) in _adminFailures) writer.Sample(n, ("reason", reason));
        writer.Family("snomactors_download_refusals_total", "counter", "Settings downloads refused by the download protection, by protection and reason.");
        foreach (var ((mode, reason), n) in _downloadRefusals) writer.Sample(n, ("protection", mode), ("reason", reason));
        writer.Family("snomactors_auth_backoff_refusals_total", "counter", "Requests refused because their source address is backing off after failed authentications.");
        foreach (var (guard, n) in _backoff) writer.Sample(n, ("guard", guard));
    }
}
