using System.Data.Common;
using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;

namespace SnomActors.Registry.Store;

/// <summary>
/// The PostgreSQL store (Npgsql), for operators who already run a database server or want the
/// registry outside the daemon's machine. Same schema and behaviour as <see cref="SqliteRegistryStore"/>.
/// Tables are created in the first schema of the connection's search path.
/// </summary>
public sealed partial class PostgresRegistryStore : RegistryStoreBase
{
    // Any constant works; it only has to be the same for every SnomActors daemon on the database.
    private const long MigrationLockKey = 0x536e6f6d41637472;
    private const int RowsPerStatement = 5_000;

    private readonly NpgsqlDataSource dataSource;

    /// <summary>Creates the store. Call <see cref="RegistryStoreBase.InitializeAsync(CancellationToken)"/> to open it.</summary>
    /// <param name="connectionString">An Npgsql connection string (<c>Host=…;Username=…;Password=…;Database=…</c>).</param>
    /// <param name="resilience">Retries of transient faults (default <see cref="StoreResilience.Default"/>).</param>
    public PostgresRegistryStore(string connectionString, StoreResilience? resilience = null)
        : base(resilience)
    {
        dataSource = NpgsqlDataSource.Create(connectionString);
    }

    /// <inheritdoc />
    public override string Kind => "postgresql";

    private protected override string Dialect => "postgres";

    private protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct) =>
        await dataSource.OpenConnectionAsync(ct);

    private protected override async Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
    {
        // Two daemons starting together must not both create the tables.
        await using var cmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", (NpgsqlConnection)connection, (NpgsqlTransaction)tx);
        cmd.Parameters.AddWithValue("key", MigrationLockKey);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private protected override async Task ExecuteManyAsync(
        DbConnection connection, DbTransaction tx, string sql, string[] names, Type[] types, IEnumerable<object?[]> rows, CancellationToken ct)
    {
        // One set-based statement per few thousand rows: INSERT … SELECT * FROM unnest(arrays).
        // Row-by-row statements (even batched in one round trip) cost ~1 ms per device row here,
        // which would make a 10,000-phone boot storm wait seconds for the disk.
        var values = ValuesClause().Match(sql);
        if (!values.Success) throw new InvalidOperationException("Bulk statement without a VALUES clause.");
        var bulkSql = sql[..values.Index] + "SELECT * FROM unnest(" + values.Groups[1].Value + ")" + sql[(values.Index + values.Length)..];
        foreach (var chunk in rows.Chunk(RowsPerStatement))
        {
            await using var cmd = new NpgsqlCommand(bulkSql, (NpgsqlConnection)connection, (NpgsqlTransaction)tx);
            for (var i = 0; i < names.Length; i++)
            {
                var column = i;
                NpgsqlParameter parameter = types[i] == typeof(long)
                    ? new NpgsqlParameter<long?[]>(names[i], chunk.Select(r => (long?)r[column]).ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint }
                    : types[i] == typeof(int)
                        ? new NpgsqlParameter<int?[]>(names[i], chunk.Select(r => (int?)r[column]).ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer }
                        : new NpgsqlParameter<string?[]>(names[i], chunk.Select(r => (string?)r[column]).ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
                cmd.Parameters.Add(parameter);
            }
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }

    [GeneratedRegex(@"VALUES \(([^)]*)\)")]
    private static partial Regex ValuesClause();

    /// <inheritdoc />
    public override ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
