using System.Collections.Concurrent;
using System.Globalization;
using SnomActors.Server.Metrics;

namespace SnomActors.Http.Downloads;

/// <summary>
/// Settings downloads by HTTP status on <c>/metrics</c>: 200 and 304 are phones provisioned, 401/404
/// are phones (or scanners) without a file or credentials, 503 is the download admission limit shedding.
/// </summary>
public sealed class DownloadCounters : IMetricsSource
{
    // 200 and 503 are present from the start, so that rate() has a series before the first download.
    private readonly ConcurrentDictionary<int, long> _byStatus = new([new(200, 0L), new(503, 0L)]);

    /// <summary>Downloads answered so far, by status.</summary>
    public IReadOnlyDictionary<int, long> ByStatus => _byStatus;

    /// <summary>Counts one download answered with <paramref name="status"/>.</summary>
    public void Answered(int status) => _byStatus.AddOrUpdate(status, 1, static (_, n) => n + 1);

    /// <inheritdoc />
    public void Write(PrometheusWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Family("snomactors_settings_downloads_total", "counter", "Settings downloads answered, by HTTP status.");
        foreach (var (status, n) in _byStatus.OrderBy(kv => kv.Key))
            writer.Sample(n, ("status", status.ToString(CultureInfo.InvariantCulture)));
    }
}
