using SnomActors.Registry.Model;
using SnomActors.Registry.Store;

namespace SnomActors.Registry.Config;

/// <summary>Where the registry keeps its data and how the <see cref="Actors.DeviceRegistry"/> writes it.</summary>
public sealed record RegistryOptions
{
    /// <summary>Directory of the SQLite file (<c>--data</c>); ignored when <see cref="PostgresConnectionString"/> is set.</summary>
    public string DataDirectory { get; init; } = ".";

    /// <summary>When set, the registry lives in PostgreSQL instead of SQLite.</summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>SQLite busy timeout per statement.</summary>
    public TimeSpan SqliteBusyTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Retries of transient store faults inside one store call (Polly).</summary>
    public StoreResilience StoreResilience { get; init; } = StoreResilience.Default;

    /// <summary>Pending changes are written at the latest this long after the first of them.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A flush starts at once when this many changes are pending (devices count once however often they changed).</summary>
    public int FlushThreshold { get; init; } = 2_000;

    /// <summary>
    /// Bound of what the actor holds while the store is down. Device states are never dropped
    /// (they are bounded by the number of devices); beyond the bound the oldest timeline events,
    /// then the oldest downloads, are dropped and counted in <see cref="RegistryStats.DroppedChanges"/>.
    /// </summary>
    public int MaxPendingChanges { get; init; } = 1_000_000;

    /// <summary>First delay before a failed flush is tried again; doubles up to <see cref="MaxRetryInterval"/>.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Cap of the retry delay of failed flushes.</summary>
    public TimeSpan MaxRetryInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a stop (or restart) of the actor may block to write what is pending.</summary>
    public TimeSpan ShutdownFlushTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Admission of a device seen for the first time through a <c>SubscribeSeen</c> (the daemon provisioned it, so allowed).</summary>
    public AdmissionState NewDeviceAdmission { get; init; } = AdmissionState.Allowed;

    /// <summary>Timeline events older than this are pruned at start.</summary>
    public TimeSpan EventRetention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Name of the registry actor under <c>/user</c>.</summary>
    public string ActorName { get; init; } = "device-registry";

    /// <summary>
    /// The download-token table shared with the PnP core and the HTTP side (issue 5): the registry
    /// loads the stored tokens into it at start and persists every token it issues. Null: the
    /// registry keeps a private table (tokens can still be issued and rotated through it).
    /// </summary>
    public SnomActors.Server.Provisioning.DownloadTokenTable? DownloadTokens { get; init; }

    /// <summary>Clock for the few timestamps the registry makes itself (settings uploads, deletes, pruning) and for timing batch writes.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Write-path metrics the registry updates (write latency, rows written, failures, drops). Register
    /// this instance as an <c>IMetricsSource</c> to export it on <c>/metrics</c>.
    /// </summary>
    public Metrics.RegistryMetrics Metrics { get; init; } = new();
}
