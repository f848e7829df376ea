using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using SnomActors.Registry.Store;

namespace SnomActors.Registry.Tests.Support;

/// <summary>
/// A fresh, private store of either kind for one test: SQLite in a temp directory, PostgreSQL in
/// a schema of its own in the database named by <c>SNOMACTORS_TEST_PG</c> (skipped, with the
/// reason shown, when that variable is unset or the server does not answer).
/// </summary>
public sealed class StoreContext : IAsyncDisposable
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";
    public const string PgEnvironmentVariable = "SNOMACTORS_TEST_PG";

    /// <summary>Both kinds, for <c>[SkippableTheory, MemberData(nameof(StoreContext.Kinds), MemberType = typeof(StoreContext))]</c>.</summary>
    public static TheoryData<string> Kinds => new() { Sqlite, Postgres };

    private static readonly Lazy<Task<string?>> PgUnavailable = new(ProbePostgresAsync);
    private readonly List<RegistryStoreBase> opened = [];
    private readonly string? tempDirectory;
    private readonly string? pgSchema;

    private StoreContext(string kind, string? tempDirectory, string? pgConnectionString, string? pgSchema)
    {
        Kind = kind;
        this.tempDirectory = tempDirectory;
        PgConnectionString = pgConnectionString;
        this.pgSchema = pgSchema;
    }

    public string Kind { get; }

    /// <summary>SQLite: the data directory.</summary>
    public string? DataDirectory => tempDirectory;

    /// <summary>PostgreSQL: a connection string whose search path is the test's own schema.</summary>
    public string? PgConnectionString { get; }

    public static async Task<StoreContext> CreateAsync(string kind)
    {
        if (kind == Sqlite)
        {
            var dir = Path.Combine(Path.GetTempPath(), "snomactors-registry-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            return new StoreContext(kind, dir, null, null);
        }
        var reason = await PgUnavailable.Value;
        Skip.If(reason is not null, reason);
        var baseConnection = Environment.GetEnvironmentVariable(PgEnvironmentVariable)!;
        var schema = "t_" + Guid.NewGuid().ToString("N");
        await using (var admin = new NpgsqlConnection(baseConnection))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE SCHEMA {schema}", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        var cs = new NpgsqlConnectionStringBuilder(baseConnection) { SearchPath = schema }.ToString();
        return new StoreContext(kind, null, cs, schema);
    }

    private static async Task<string?> ProbePostgresAsync()
    {
        var cs = Environment.GetEnvironmentVariable(PgEnvironmentVariable);
        if (string.IsNullOrWhiteSpace(cs))
            return $"PostgreSQL variant skipped: {PgEnvironmentVariable} is not set (e.g. Host=127.0.0.1;Port=5432;Username=snomactors;Password=snomactors;Database=snomactors_test)";
        Exception? last = null;
        // Generous: on a busy 2-core CI machine a first connection can take seconds.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                var builder = new NpgsqlConnectionStringBuilder(cs) { Timeout = 15 };
                await using var connection = new NpgsqlConnection(builder.ToString());
                await connection.OpenAsync();
                return null;
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
            {
                last = ex;
                await Task.Delay(1000);
            }
        }
        return $"PostgreSQL variant skipped: server named by {PgEnvironmentVariable} is unreachable ({last!.GetType().Name}: {last.Message})";
    }

    /// <summary>A new store object on this context's database (a second one = a daemon restart).</summary>
    public RegistryStoreBase NewStore(StoreResilience? resilience = null)
    {
        RegistryStoreBase store = Kind == Sqlite
            ? new SqliteRegistryStore(tempDirectory!, TimeSpan.FromSeconds(5), resilience)
            : new PostgresRegistryStore(PgConnectionString!, resilience);
        opened.Add(store);
        return store;
    }

    /// <summary>A new store, opened (migrated).</summary>
    public async Task<RegistryStoreBase> OpenStoreAsync(StoreResilience? resilience = null)
    {
        var store = NewStore(resilience);
        await store.InitializeAsync();
        return store;
    }

    /// <summary>A raw connection, for checking the schema behind the store's back.</summary>
    public async Task<DbConnection> OpenRawAsync()
    {
        DbConnection connection = Kind == Sqlite
            ? new SqliteConnection($"Data Source={Path.Combine(tempDirectory!, SqliteRegistryStore.FileName)};Pooling=False")
            : new NpgsqlConnection(PgConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = await OpenRawAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return await cmd.ExecuteScalarAsync();
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = await OpenRawAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in opened) await store.DisposeAsync();
        if (tempDirectory is not null)
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(tempDirectory, recursive: true); } catch (IOException) { }
        }
        if (pgSchema is not null)
        {
            await using var admin = new NpgsqlConnection(Environment.GetEnvironmentVariable(PgEnvironmentVariable));
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {pgSchema} CASCADE", admin);
            await cmd.ExecuteNonQueryAsync();
        }
    }
}
