using SnomActors.Registry.Model;
using SnomActors.Server.Metrics;

namespace SnomActors.Registry.Metrics;

/// <summary>
/// The registry's write path on <c>/metrics</c>: how long each batch took to write, how many rows
/// the batches carried, and what failed or was dropped while the store was away. Written by the
/// <see cref="Actors.DeviceRegistry"/> (once per batch, off the hot path of the PnP core) and read
/// by the scrape; register the instance given in <see cref="Config.RegistryOptions.Metrics"/> as an
/// <see cref="IMetricsSource"/>.
/// </summary>
public sealed class RegistryMetrics : IMetricsSource
{
    /// <summary>
    /// Upper bounds of <c>snomactors_registry_write_seconds</c>: a small SQLite transaction commits in
    /// well under a millisecond on an SSD, a boot storm's batch of thousands of rows in tens to hundreds
    /// of milliseconds; seconds mean a locked file, a slow disk or the store's retries.
    /// </summary>
    public static readonly double[] WriteBucketBounds =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    private long _devices, _events, _downloads, _deletes, _tokens, _failures, _dropped;

    /// <summary>Duration of each batch written successfully (one transaction; the store's own retries included).</summary>
    public LatencyHistogram WriteTime { get; } = new(WriteBucketBounds);

    /// <summary>Batch writes that failed after the store's retries (the batch is kept and tried again).</summary>
    public long WriteFailures => Interlocked.Read(ref _failures);

    /// <summary>Timeline events and downloads dropped because too many changes were pending.</summary>
    public long DroppedChanges => Interlocked.Read(ref _dropped);

    /// <summary>Rows written, all kinds together.</summary>
    public long RecordsWritten =>
        Interlocked.Read(ref _devices) + Interlocked.Read(ref _events) + Interlocked.Read(ref _downloads)
        + Interlocked.Read(ref _deletes) + Interlocked.Read(ref _tokens);

    /// <summary>Counts a batch that reached the store, with its duration.</summary>
    public void BatchWritten(RegistryBatch batch, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(batch);
        WriteTime.Observe(elapsed);
        Interlocked.Add(ref _devices, batch.Devices.Count);
        Interlocked.Add(ref _events, batch.Events.Count);
        Interlocked.Add(ref _downloads, batch.Downloads.Count);
        Interlocked.Add(ref _deletes, batch.Deletes.Count);
        Interlocked.Add(ref _tokens, batch.Tokens.Count);
    }

    /// <summary>Counts a batch write that failed.</summary>
    public void BatchFailed() => Interlocked.Increment(ref _failures);

    /// <summary>Counts pending changes dropped by the bound on what waits for the store.</summary>
    public void ChangesDropped(long count) => Interlocked.Add(ref _dropped, count);

    /// <inheritdoc />
    public void Write(PrometheusWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Histogram("snomactors_registry_write_seconds",
            "Time to write one batch of registry changes in one transaction, the store's retries of transient faults included.", WriteTime);
        writer.Family("snomactors_registry_records_written_total", "counter",
            "Rows the registry wrote, by kind: device (state rows, coalesced per batch), event (timeline), download, delete, token.");
        writer.Sample(Interlocked.Read(ref _devices), ("kind", "device"));
        writer.Sample(Interlocked.Read(ref _events), ("kind", "event"));
        writer.Sample(Interlocked.Read(ref _downloads), ("kind", "download"));
        writer.Sample(Interlocked.Read(ref _deletes), ("kind", "delete"));
        writer.Sample(Interlocked.Read(ref _tokens), ("kind", "token"));
        writer.Counter("snomactors_registry_write_failures_total",
            "Batch writes that failed after the store's retries; the changes are kept and written again later.", WriteFailures);
        writer.Counter("snomactors_registry_dropped_changes_total",
            "Timeline events and downloads dropped because too many changes waited for an unavailable store.", DroppedChanges);
    }
}
