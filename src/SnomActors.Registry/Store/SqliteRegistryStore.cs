using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace SnomActors.Registry.Store;

/// <summary>
/// The embedded default store: one SQLite file (<c>&lt;dataDir&gt;/snomactors.db</c>) in WAL mode,
/// so readers (the web page, downloads) never wait for the registry's batched writes.
/// Every connection gets <c>busy_timeout</c> and <c>foreign_keys=ON</c>.
/// </summary>
public sealed class SqliteRegistryStore : RegistryStoreBase
{
    /// <summary>File name inside the data directory.</summary>
    public const string FileName = "snomactors.db";

    private readonly string connectionString;
    private readonly int busyTimeoutMs;

    /// <summary>Creates the store for <c>&lt;dataDirectory&gt;/snomactors.db</c> (the directory is created). Call <see cref="RegistryStoreBase.InitializeAsync(CancellationToken)"/> to open it.</summary>
    /// <param name="dataDirectory">Directory of the database file.</param>
    /// <param name="busyTimeout">How long one statement waits for another writer before SQLITE_BUSY (default 5 s).</param>
    /// <param name="resilience">Retries of transient faults (default <see cref="StoreResilience.Default"/>).</param>
    public SqliteRegistryStore(string dataDirectory, TimeSpan? busyTimeout = null, StoreResilience? resilience = null)
        : base(resilience)
    {
        Directory.CreateDirectory(dataDirectory);
        DatabasePath = Path.Combine(Path.GetFullPath(dataDirectory), FileName);
        busyTimeoutMs = (int)(busyTimeout ?? TimeSpan.FromSeconds(5)).TotalMilliseconds;
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            // Microsoft.Data.Sqlite also retries BUSY itself up to the command timeout; keep the two aligned.
            DefaultTimeout = Math.Max(1, busyTimeoutMs / 1000),
        }.ToString();
    }

    /// <summary>Full path of the database file.</summary>
    public string DatabasePath { get; }

    /// <inheritdoc />
    public override string Kind => "sqlite";

    private protected override string Dialect => "sqlite";

    private protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(ct);
            await using var cmd = connection.CreateCommand();
            // synchronous=NORMAL is durable against a process crash in WAL mode (only power loss can drop the last commit).
            cmd.CommandText = $"PRAGMA busy_timeout = {busyTimeoutMs}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";
            await cmd.ExecuteNonQueryAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private protected override async Task PrepareDatabaseAsync(DbConnection connection, CancellationToken ct)
    {
        // journal_mode is persistent in the file and cannot change inside a transaction.
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode = WAL;";
        await cmd.ExecuteScalarAsync(ct);
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        // Pooled connections keep the file (and its -wal/-shm) open; release them so the directory can go.
        using var probe = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(probe);
        return ValueTask.CompletedTask;
    }
}
