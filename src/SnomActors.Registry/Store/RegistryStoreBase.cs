using System.Data.Common;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Polly;
using SnomActors.Registry.Model;
using SnomActors.Sip.Identity;

namespace SnomActors.Registry.Store;

/// <summary>
/// The SQL shared by both dialects. SQLite and PostgreSQL agree on everything used here
/// (<c>ON CONFLICT … DO UPDATE</c>, <c>RETURNING</c>, <c>LIMIT/OFFSET</c>, <c>lower()</c>, integer
/// division of BIGINT); the subclasses supply connections, migration scripts, the migration lock
/// and, for PostgreSQL, batched round trips. Keeping one copy of the queries is what keeps the two
/// stores' behaviour the same.
/// </summary>
public abstract class RegistryStoreBase : IRegistryStore
{
    private const string DeviceColumns =
        "mac, vendor, model, firmware, user_agent, last_ip, last_port, first_seen, last_seen, state, admission, " +
        "call_id, subscribe_seen_at, answered_at, notify_sent_at, notify_url, notify_acked_at, failed_at, " +
        "failure_reason, failure_status, settings_downloaded_at";

    private static readonly string[] DeviceColumnNames = DeviceColumns.Split(", ");

    private static readonly Type[] DeviceColumnTypes = DeviceColumnNames
        .Select(c => c is "last_port" or "failure_status" ? typeof(int) : c is "first_seen" or "last_seen" || c.EndsWith("_at", StringComparison.Ordinal) ? typeof(long) : typeof(string))
        .ToArray();

    private static readonly string UpsertDeviceSql =
        $"INSERT INTO devices ({DeviceColumns}) VALUES ({string.Join(", ", DeviceColumnNames.Select(c => "@" + c))}) " +
        "ON CONFLICT (mac) DO UPDATE SET " +
        string.Join(", ", DeviceColumnNames.Skip(1).Select(c => $"{c} = excluded.{c}"));

    private const string InsertDownloadSql =
        "INSERT INTO downloads (mac, at, source_ip, status, bytes, etag, path, method, settings_scope, settings_key, settings_version) " +
        "VALUES (@mac, @at, @source_ip, @status, @bytes, @etag, @path, @method, @settings_scope, @settings_key, @settings_version)";

    private static readonly string[] DownloadParameterNames =
        ["@mac", "@at", "@source_ip", "@status", "@bytes", "@etag", "@path", "@method", "@settings_scope", "@settings_key", "@settings_version"];

    private static readonly Type[] DownloadParameterTypes =
        [typeof(string), typeof(long), typeof(string), typeof(int), typeof(long), typeof(string), typeof(string),
         typeof(string), typeof(string), typeof(string), typeof(int)];

    private const string UpsertTokenSql =
        "INSERT INTO download_tokens (mac, token, issued_at) VALUES (@mac, @token, @issued_at) " +
        "ON CONFLICT (mac) DO UPDATE SET token = excluded.token, issued_at = excluded.issued_at";

    private const string InsertEventSql =
        "INSERT INTO device_events (mac, at, kind, call_id) VALUES (@mac, @at, @kind, @call_id)";

    private const string VersionColumns = "v.scope, v.doc_key, v.version, v.author, v.created_at, v.size_bytes, v.sha256";

    private readonly ResiliencePipeline pipeline;
    private readonly SemaphoreSlim initLock = new(1, 1);
    private volatile bool initialized;

    private protected RegistryStoreBase(StoreResilience? resilience)
    {
        pipeline = (resilience ?? StoreResilience.Default).Build();
    }

    /// <inheritdoc />
    public abstract string Kind { get; }

    /// <summary>Folder of the embedded migration scripts (<c>sqlite</c>, <c>postgres</c>).</summary>
    private protected abstract string Dialect { get; }

    /// <summary>An open connection with the per-connection settings applied.</summary>
    private protected abstract ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct);

    /// <summary>Called once per initialisation before the migration transaction (SQLite: WAL).</summary>
    private protected virtual Task PrepareDatabaseAsync(DbConnection connection, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Serialises concurrent migrators inside the migration transaction (PostgreSQL: advisory lock).</summary>
    private protected virtual Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// Runs one parameterised statement for many rows inside <paramref name="tx"/>. The default
    /// re-executes one prepared command (cheap in-process for SQLite); PostgreSQL overrides it to
    /// send many rows per round trip.
    /// </summary>
    /// <param name="connection">Open connection.</param>
    /// <param name="tx">The batch's transaction.</param>
    /// <param name="sql">An <c>INSERT … VALUES (@a, @b …) [ON CONFLICT …]</c> statement.</param>
    /// <param name="names">Parameter names in <c>VALUES</c> order.</param>
    /// <param name="types">CLR type of each parameter (string, long or int).</param>
    /// <param name="rows">Values per row, in <paramref name="names"/> order.</param>
    /// <param name="ct">Cancellation.</param>
    private protected virtual async Task ExecuteManyAsync(
        DbConnection connection, DbTransaction tx, string sql, string[] names, Type[] types, IEnumerable<object?[]> rows, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        var parameters = names.Select(n => { var p = cmd.CreateParameter(); p.ParameterName = n; cmd.Parameters.Add(p); return p; }).ToArray();
        var prepared = false;
        foreach (var row in rows)
        {
            for (var i = 0; i < parameters.Length; i++) parameters[i].Value = row[i] ?? DBNull.Value;
            if (!prepared) { await cmd.PrepareAsync(ct); prepared = true; }
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }

    /// <inheritdoc />
    public abstract ValueTask DisposeAsync();

    // ---- plumbing -------------------------------------------------------------------------

    /// <summary>Runs <paramref name="work"/> on a fresh connection, retrying transient faults as a whole.</summary>
    private protected async Task<T> RunAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        if (!initialized) await InitializeAsync(ct);
        return await pipeline.ExecuteAsync(async token =>
        {
            await using var connection = await OpenConnectionAsync(token);
            return await work(connection, token);
        }, ct);
    }

    private protected Task RunAsync(Func<DbConnection, CancellationToken, Task> work, CancellationToken ct) =>
        RunAsync<bool>(async (c, t) => { await work(c, t); return true; }, ct);

    private static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    private static async Task<int> ExecuteAsync(DbConnection c, DbTransaction? tx, CancellationToken ct, string sql, params (string, object?)[] ps)
    {
        await using var cmd = Command(c, tx, sql, ps);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<long> ScalarAsync(DbConnection c, DbTransaction? tx, CancellationToken ct, string sql, params (string, object?)[] ps)
    {
        await using var cmd = Command(c, tx, sql, ps);
        var value = await cmd.ExecuteScalarAsync(ct);
        return value is null or DBNull ? 0 : Convert.ToInt64(value);
    }

    private static async Task<List<T>> QueryAsync<T>(
        DbConnection c, DbTransaction? tx, CancellationToken ct, Func<DbDataReader, T> map, string sql, params (string, object?)[] ps)
    {
        await using var cmd = Command(c, tx, sql, ps);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<T>();
        while (await reader.ReadAsync(ct)) list.Add(map(reader));
        return list;
    }

    internal static long Ms(DateTimeOffset at) => at.ToUnixTimeMilliseconds();
    private static object? Ms(DateTimeOffset? at) => at?.ToUnixTimeMilliseconds();
    internal static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static string? Str(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    private static long Long(DbDataReader r, int i) => Convert.ToInt64(r.GetValue(i));
    private static int? NInt(DbDataReader r, int i) => r.IsDBNull(i) ? null : Convert.ToInt32(r.GetValue(i));
    private static DateTimeOffset? NTime(DbDataReader r, int i) => r.IsDBNull(i) ? null : FromMs(Long(r, i));

    private static string RequireMac(string mac) =>
        MacAddress.TryNormalize(mac, out var normalized) ? normalized : throw new ArgumentException($"'{mac}' is not a MAC address.", nameof(mac));

    // ---- migrations -----------------------------------------------------------------------

    /// <summary>The embedded scripts of this dialect, ordered by number.</summary>
    internal IReadOnlyList<(int Version, string Name, string Sql)> Migrations()
    {
        var assembly = typeof(RegistryStoreBase).Assembly;
        var prefix = $"migrations/{Dialect}/";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n[prefix.Length..^4];
                var version = int.Parse(file[..file.IndexOf('_')], System.Globalization.CultureInfo.InvariantCulture);
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream, Encoding.UTF8);
                return (version, file, reader.ReadToEnd());
            })
            .OrderBy(m => m.version)
            .ToList();
    }

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken ct = default) => InitializeAsync(int.MaxValue, ct);

    /// <summary>Applies migrations up to <paramref name="targetVersion"/> (tests build old schemas with it).</summary>
    internal async Task InitializeAsync(int targetVersion, CancellationToken ct)
    {
        if (initialized) return;
        await initLock.WaitAsync(ct);
        try
        {
            if (initialized) return;
            await pipeline.ExecuteAsync(async token =>
            {
                await using var connection = await OpenConnectionAsync(token);
                await PrepareDatabaseAsync(connection, token);
                // One transaction for the whole upgrade: a failure leaves the previous schema intact.
                await using var tx = await connection.BeginTransactionAsync(token);
                await LockForMigrationAsync(connection, tx, token);
                await ExecuteAsync(connection, tx, token,
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
                var current = await ScalarAsync(connection, tx, token, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
                foreach (var (version, name, sql) in Migrations())
                {
                    if (version <= current || version > targetVersion) continue;
                    await ExecuteAsync(connection, tx, token, sql);
                    await ExecuteAsync(connection, tx, token,
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @at)",
                        ("@v", version), ("@n", name), ("@at", Ms(DateTimeOffset.UtcNow)));
                }
                await tx.CommitAsync(token);
            }, ct);
            // A partial schema (tests) must not be mistaken for a complete one.
            initialized = targetVersion == int.MaxValue;
        }
        finally
        {
            initLock.Release();
        }
    }

    /// <inheritdoc />
    public Task<int> GetSchemaVersionAsync(CancellationToken ct = default) =>
        pipeline.ExecuteAsync(async token =>
        {
            await using var connection = await OpenConnectionAsync(token);
            try
            {
                return (int)await ScalarAsync(connection, null, token, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
            }
            catch (DbException ex) when (!RegistryStoreErrors.IsTransient(ex))
            {
                // No schema_migrations table yet: an empty database.
                return 0;
            }
        }, ct).AsTask();

    // ---- devices ----------------------------------------------------------------------------

    private static object?[] DeviceRow(DeviceRecord d) =>
    [
        d.Mac, d.Vendor, d.Model, d.Firmware, d.UserAgent, d.LastIp, d.LastPort, Ms(d.FirstSeen), Ms(d.LastSeen),
        d.State.ToKey(), d.Admission.ToKey(), d.CallId, Ms(d.SubscribeSeenAt), Ms(d.AnsweredAt), Ms(d.NotifySentAt),
        d.NotifyUrl, Ms(d.NotifyAckedAt), Ms(d.FailedAt), d.FailureReason, d.FailureStatus, Ms(d.SettingsDownloadedAt),
    ];

    private static DeviceRecord ReadDevice(DbDataReader r) => new()
    {
        Mac = r.GetString(0),
        Vendor = r.GetString(1),
        Model = Str(r, 2),
        Firmware = Str(r, 3),
        UserAgent = Str(r, 4),
        LastIp = Str(r, 5),
        LastPort = NInt(r, 6),
        FirstSeen = FromMs(Long(r, 7)),
        LastSeen = FromMs(Long(r, 8)),
        // column 9 is the stored state: derived again from the timestamps, it is there for filters.
        Admission = DeviceStates.TryParse(r.GetString(10), out AdmissionState a) ? a : AdmissionState.Allowed,
        CallId = Str(r, 11),
        SubscribeSeenAt = NTime(r, 12),
        AnsweredAt = NTime(r, 13),
        NotifySentAt = NTime(r, 14),
        NotifyUrl = Str(r, 15),
        NotifyAckedAt = NTime(r, 16),
        FailedAt = NTime(r, 17),
        FailureReason = Str(r, 18),
        FailureStatus = NInt(r, 19),
        SettingsDownloadedAt = NTime(r, 20),
    };

    private static async Task DeleteDeviceRowsAsync(DbConnection c, DbTransaction tx, string mac, CancellationToken ct)
    {
        await ExecuteAsync(c, tx, ct, "DELETE FROM device_events WHERE mac = @mac", ("@mac", mac));
        await ExecuteAsync(c, tx, ct, "DELETE FROM downloads WHERE mac = @mac", ("@mac", mac));
    }

    /// <inheritdoc />
    public Task ApplyBatchAsync(RegistryBatch batch, CancellationToken ct = default)
    {
        if (batch.Count == 0) return Task.CompletedTask;
        return RunAsync(async (c, token) =>
        {
            await using var tx = await c.BeginTransactionAsync(token);
            foreach (var mac in batch.Deletes)
            {
                await DeleteDeviceRowsAsync(c, tx, mac, token);
                await ExecuteAsync(c, tx, token, "DELETE FROM devices WHERE mac = @mac", ("@mac", mac));
            }
            if (batch.Devices.Count > 0)
                await ExecuteManyAsync(c, tx, UpsertDeviceSql, DeviceColumnNames.Select(n => "@" + n).ToArray(), DeviceColumnTypes,
                    batch.Devices.Select(DeviceRow), token);
            if (batch.Downloads.Count > 0)
                await ExecuteManyAsync(c, tx, InsertDownloadSql, DownloadParameterNames, DownloadParameterTypes,
                    batch.Downloads.Select(d => new object?[]
                    {
                        d.Mac, Ms(d.At), d.SourceIp, d.Status, d.Bytes, d.ETag, d.Path,
                        d.Method, d.Settings?.Scope.ToKey(), d.Settings?.Key, d.Settings?.Version,
                    }), token);
            if (batch.Events.Count > 0)
                await ExecuteManyAsync(c, tx, InsertEventSql, ["@mac", "@at", "@kind", "@call_id"],
                    [typeof(string), typeof(long), typeof(string), typeof(string)],
                    batch.Events.Select(e => new object?[] { e.Mac, Ms(e.At), EventKey(e.Kind), e.CallId }), token);
            if (batch.Tokens.Count > 0)
                await ExecuteManyAsync(c, tx, UpsertTokenSql, ["@mac", "@token", "@issued_at"],
                    [typeof(string), typeof(string), typeof(long)],
                    batch.Tokens.Select(t => new object?[] { t.Mac, t.Token, Ms(t.At) }), token);
            await tx.CommitAsync(token);
        }, ct);
    }

    /// <inheritdoc />
    public Task<DeviceRecord?> GetDeviceAsync(string mac, CancellationToken ct = default)
    {
        var key = RequireMac(mac);
        return RunAsync(async (c, token) =>
            (await QueryAsync(c, null, token, ReadDevice, $"SELECT {DeviceColumns} FROM devices WHERE mac = @mac", ("@mac", key)))
            .FirstOrDefault(), ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<DeviceRecord>> LoadAllDevicesAsync(CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<DeviceRecord>>(async (c, token) =>
            await QueryAsync(c, null, token, ReadDevice, $"SELECT {DeviceColumns} FROM devices ORDER BY mac"), ct);

    /// <inheritdoc />
    public Task<DevicePage> ListDevicesAsync(DeviceQuery query, CancellationToken ct = default)
    {
        var conditions = new List<string>();
        var parameters = new List<(string, object?)>();
        var search = DeviceFilter.Prepare(query);
        if (search is not null)
        {
            conditions.Add(
                "(lower(mac) LIKE @qmac ESCAPE '!' OR lower(vendor) LIKE @q ESCAPE '!' OR lower(model) LIKE @q ESCAPE '!' " +
                "OR lower(firmware) LIKE @q ESCAPE '!' OR lower(last_ip) LIKE @q ESCAPE '!' OR lower(user_agent) LIKE @q ESCAPE '!')");
            parameters.Add(("@q", "%" + EscapeLike(search.Text) + "%"));
            parameters.Add(("@qmac", "%" + EscapeLike(search.MacText) + "%"));
        }
        if (query.Vendor is not null) { conditions.Add("vendor = @vendor"); parameters.Add(("@vendor", query.Vendor.ToLowerInvariant())); }
        if (query.State is { } state) { conditions.Add("state = @state"); parameters.Add(("@state", state.ToKey())); }
        if (query.Admission is { } admission) { conditions.Add("admission = @admission"); parameters.Add(("@admission", admission.ToKey())); }
        var where = conditions.Count == 0 ? "" : " WHERE " + string.Join(" AND ", conditions);
        var (offset, limit) = DeviceFilter.Page(query);
        return RunAsync(async (c, token) =>
        {
            var total = await ScalarAsync(c, null, token, "SELECT COUNT(*) FROM devices" + where, parameters.ToArray());
            var rows = await QueryAsync(c, null, token, ReadDevice,
                $"SELECT {DeviceColumns} FROM devices{where} ORDER BY last_seen DESC, mac LIMIT @limit OFFSET @offset",
                [.. parameters, ("@limit", limit), ("@offset", offset)]);
            return new DevicePage((int)total, rows);
        }, ct);
    }

    private static string EscapeLike(string text) =>
        text.Replace("!", "!!", StringComparison.Ordinal).Replace("%", "!%", StringComparison.Ordinal).Replace("_", "!_", StringComparison.Ordinal);

    /// <inheritdoc />
    public Task<bool> DeleteDeviceAsync(string mac, CancellationToken ct = default)
    {
        var key = RequireMac(mac);
        return RunAsync(async (c, token) =>
        {
            await using var tx = await c.BeginTransactionAsync(token);
            await DeleteDeviceRowsAsync(c, tx, key, token);
            var deleted = await ExecuteAsync(c, tx, token, "DELETE FROM devices WHERE mac = @mac", ("@mac", key));
            await tx.CommitAsync(token);
            return deleted > 0;
        }, ct);
    }

    /// <inheritdoc />
    public Task<RegistryStats> GetStatsAsync(CancellationToken ct = default) =>
        RunAsync(async (c, token) =>
        {
            static (string, int) Pair(DbDataReader r) => (r.GetString(0), (int)Long(r, 1));
            var states = await QueryAsync(c, null, token, Pair, "SELECT state, COUNT(*) FROM devices GROUP BY state");
            var admissions = await QueryAsync(c, null, token, Pair, "SELECT admission, COUNT(*) FROM devices GROUP BY admission");
            var vendors = await QueryAsync(c, null, token, Pair, "SELECT vendor, COUNT(*) FROM devices GROUP BY vendor");
            var byState = Enum.GetValues<DeviceState>().ToDictionary(s => s, _ => 0);
            foreach (var (k, n) in states) if (DeviceStates.TryParse(k, out DeviceState s)) byState[s] += n;
            var byAdmission = Enum.GetValues<AdmissionState>().ToDictionary(s => s, _ => 0);
            foreach (var (k, n) in admissions) if (DeviceStates.TryParse(k, out AdmissionState s)) byAdmission[s] += n;
            return new RegistryStats
            {
                Total = byState.Values.Sum(),
                ByState = byState,
                ByAdmission = byAdmission,
                ByVendor = vendors.ToDictionary(v => v.Item1, v => v.Item2),
            };
        }, ct);

    // ---- downloads and events ---------------------------------------------------------------

    /// <inheritdoc />
    public Task<IReadOnlyList<DownloadRecord>> ListDownloadsAsync(string mac, int limit = 100, CancellationToken ct = default)
    {
        var key = RequireMac(mac);
        return RunAsync<IReadOnlyList<DownloadRecord>>(async (c, token) =>
            await QueryAsync(c, null, token,
                ReadDownload,
                "SELECT id, mac, at, source_ip, status, bytes, etag, path, method, settings_scope, settings_key, settings_version " +
                "FROM downloads WHERE mac = @mac ORDER BY at DESC, id DESC LIMIT @limit",
                ("@mac", key), ("@limit", Math.Clamp(limit, 1, 10_000))), ct);
    }

    private static DownloadRecord ReadDownload(DbDataReader r) =>
        new(Long(r, 0), r.GetString(1), FromMs(Long(r, 2)), Str(r, 3), (int)Long(r, 4), Long(r, 5), Str(r, 6), Str(r, 7))
        {
            Method = Str(r, 8),
            // All three or nothing: a row with an unknown scope (a newer daemon's) shows no document rather than a wrong one.
            Settings = SettingsKeys.TryParse(Str(r, 9), out var scope) && Str(r, 10) is { } key && NInt(r, 11) is { } version
                ? new SettingsVersionRef(scope, key, version)
                : null,
        };

    internal static string EventKey(DeviceEventKind kind) => kind.ToString().ToLowerInvariant();

    private static DeviceEventKind ParseEvent(string key) =>
        Enum.TryParse<DeviceEventKind>(key, ignoreCase: true, out var kind) ? kind : DeviceEventKind.Seen;

    /// <inheritdoc />
    public Task<IReadOnlyList<DeviceEvent>> ListEventsAsync(string mac, int limit = 100, CancellationToken ct = default)
    {
        var key = RequireMac(mac);
        return RunAsync<IReadOnlyList<DeviceEvent>>(async (c, token) =>
            await QueryAsync(c, null, token,
                r => new DeviceEvent(r.GetString(0), FromMs(Long(r, 1)), ParseEvent(r.GetString(2)), Str(r, 3)),
                "SELECT mac, at, kind, call_id FROM device_events WHERE mac = @mac ORDER BY at DESC, id DESC LIMIT @limit",
                ("@mac", key), ("@limit", Math.Clamp(limit, 1, 10_000))), ct);
    }

    /// <inheritdoc />
    public Task<ProvisioningTimeline> GetTimelineAsync(DateTimeOffset from, DateTimeOffset to, TimeSpan bucket, CancellationToken ct = default)
    {
        var (fromMs, toMs, bucketMs) = Timeline.Align(from, to, bucket);
        return RunAsync(async (c, token) =>
        {
            var rows = await QueryAsync(c, null, token,
                r => (Index: Long(r, 0), Kind: ParseEvent(r.GetString(1)), Count: (int)Long(r, 2)),
                "SELECT at / @b, kind, COUNT(*) FROM device_events WHERE at >= @from AND at < @to GROUP BY 1, 2",
                ("@b", bucketMs), ("@from", fromMs), ("@to", toMs));
            return Timeline.Build(fromMs, toMs, bucketMs, rows.Select(r => (r.Index, r.Kind, r.Count)));
        }, ct);
    }

    /// <inheritdoc />
    public Task<int> PruneEventsAsync(DateTimeOffset before, CancellationToken ct = default) =>
        RunAsync((c, token) => ExecuteAsync(c, null, token, "DELETE FROM device_events WHERE at < @before", ("@before", Ms(before))), ct);

    // ---- settings ---------------------------------------------------------------------------

    private static SettingsVersionInfo ReadVersionInfo(DbDataReader r) =>
        new(ParseScope(r.GetString(0)), r.GetString(1), (int)Long(r, 2), Str(r, 3), FromMs(Long(r, 4)), Long(r, 5), r.GetString(6));

    private static SettingsDocumentVersion ReadVersion(DbDataReader r)
    {
        var info = ReadVersionInfo(r);
        return new SettingsDocumentVersion(info.Scope, info.Key, info.Version, r.GetString(7), info.Author, info.CreatedAt, info.SizeBytes, info.Sha256);
    }

    private static SettingsScope ParseScope(string key) =>
        SettingsKeys.TryParse(key, out var scope) ? scope : throw new InvalidDataException($"Unknown settings scope '{key}' in the store.");

    /// <inheritdoc />
    public Task<SettingsDocumentVersion> AddSettingsVersionAsync(
        SettingsScope scope, string? key, string content, string? author, DateTimeOffset at, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var docKey = SettingsKeys.Normalize(scope, key);
        var bytes = Encoding.UTF8.GetBytes(content);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var created = FromMs(Ms(at));
        return RunAsync(async (c, token) =>
        {
            await using var tx = await c.BeginTransactionAsync(token);
            await ExecuteAsync(c, tx, token,
                "INSERT INTO settings_documents (scope, doc_key, current_version, deleted_at) VALUES (@s, @k, 0, NULL) ON CONFLICT (scope, doc_key) DO NOTHING",
                ("@s", scope.ToKey()), ("@k", docKey));
            // The UPDATE takes the row lock (PostgreSQL) / runs in the single writer (SQLite):
            // concurrent uploads to one document get consecutive numbers.
            var version = (int)await ScalarAsync(c, tx, token,
                "UPDATE settings_documents SET current_version = current_version + 1, deleted_at = NULL WHERE scope = @s AND doc_key = @k RETURNING current_version",
                ("@s", scope.ToKey()), ("@k", docKey));
            await ExecuteAsync(c, tx, token,
                "INSERT INTO settings_versions (scope, doc_key, version, content, author, created_at, size_bytes, sha256) " +
                "VALUES (@s, @k, @v, @content, @author, @at, @size, @sha)",
                ("@s", scope.ToKey()), ("@k", docKey), ("@v", version), ("@content", content), ("@author", author),
                ("@at", Ms(created)), ("@size", (long)bytes.Length), ("@sha", sha));
            await tx.CommitAsync(token);
            return new SettingsDocumentVersion(scope, docKey, version, content, author, created, bytes.Length, sha);
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<SettingsDocumentSummary>> ListSettingsDocumentsAsync(CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<SettingsDocumentSummary>>(async (c, token) =>
        {
            var rows = await QueryAsync(c, null, token,
                r => new SettingsDocumentSummary(ReadVersionInfo(r), (int)Long(r, 7)),
                $"SELECT {VersionColumns}, (SELECT COUNT(*) FROM settings_versions n WHERE n.scope = d.scope AND n.doc_key = d.doc_key) " +
                "FROM settings_documents d JOIN settings_versions v ON v.scope = d.scope AND v.doc_key = d.doc_key AND v.version = d.current_version " +
                "WHERE d.deleted_at IS NULL");
            return rows.OrderBy(s => s.Current.Scope).ThenBy(s => s.Current.Key, StringComparer.Ordinal).ToList();
        }, ct);

    /// <inheritdoc />
    public Task<IReadOnlyList<SettingsVersionInfo>> ListSettingsVersionsAsync(SettingsScope scope, string? key, CancellationToken ct = default)
    {
        var docKey = SettingsKeys.Normalize(scope, key);
        return RunAsync<IReadOnlyList<SettingsVersionInfo>>(async (c, token) =>
            await QueryAsync(c, null, token, ReadVersionInfo,
                $"SELECT {VersionColumns} FROM settings_versions v WHERE v.scope = @s AND v.doc_key = @k ORDER BY v.version DESC",
                ("@s", scope.ToKey()), ("@k", docKey)), ct);
    }

    /// <inheritdoc />
    public Task<SettingsDocumentVersion?> GetSettingsVersionAsync(SettingsScope scope, string? key, int version, CancellationToken ct = default)
    {
        var docKey = SettingsKeys.Normalize(scope, key);
        return RunAsync(async (c, token) =>
            (await QueryAsync(c, null, token, ReadVersion,
                $"SELECT {VersionColumns}, v.content FROM settings_versions v WHERE v.scope = @s AND v.doc_key = @k AND v.version = @v",
                ("@s", scope.ToKey()), ("@k", docKey), ("@v", version))).FirstOrDefault(), ct);
    }

    /// <inheritdoc />
    public Task<SettingsDocumentVersion?> GetCurrentSettingsAsync(SettingsScope scope, string? key, CancellationToken ct = default)
    {
        var docKey = SettingsKeys.Normalize(scope, key);
        return RunAsync(async (c, token) =>
            (await QueryAsync(c, null, token, ReadVersion,
                $"SELECT {VersionColumns}, v.content FROM settings_documents d JOIN settings_versions v " +
                "ON v.scope = d.scope AND v.doc_key = d.doc_key AND v.version = d.current_version " +
                "WHERE d.scope = @s AND d.doc_key = @k AND d.deleted_at IS NULL",
                ("@s", scope.ToKey()), ("@k", docKey))).FirstOrDefault(), ct);
    }

    /// <inheritdoc />
    public Task<SettingsDocumentVersion?> ResolveSettingsAsync(string mac, string? vendor, string? model, CancellationToken ct = default)
    {
        var key = RequireMac(mac);
        var selectors = new List<string> { "(d.scope = 'mac' AND d.doc_key = @mac)", "(d.scope = 'general' AND d.doc_key = '')" };
        var parameters = new List<(string, object?)> { ("@mac", key) };
        if (!string.IsNullOrWhiteSpace(model))
        {
            selectors.Add("(d.scope = 'model' AND d.doc_key = @model)");
            parameters.Add(("@model", SettingsKeys.Normalize(SettingsScope.Model, model)));
        }
        if (!string.IsNullOrWhiteSpace(vendor))
        {
            selectors.Add("(d.scope = 'vendor' AND d.doc_key = @vendor)");
            parameters.Add(("@vendor", SettingsKeys.Normalize(SettingsScope.Vendor, vendor)));
        }
        return RunAsync(async (c, token) =>
        {
            var candidates = await QueryAsync(c, null, token, ReadVersion,
                $"SELECT {VersionColumns}, v.content FROM settings_documents d JOIN settings_versions v " +
                "ON v.scope = d.scope AND v.doc_key = d.doc_key AND v.version = d.current_version " +
                $"WHERE d.deleted_at IS NULL AND ({string.Join(" OR ", selectors)})",
                parameters.ToArray());
            // Scope enum order is least to most specific.
            return candidates.OrderByDescending(v => v.Scope).FirstOrDefault();
        }, ct);
    }

    /// <inheritdoc />
    public Task<bool> DeleteSettingsDocumentAsync(SettingsScope scope, string? key, DateTimeOffset at, CancellationToken ct = default)
    {
        var docKey = SettingsKeys.Normalize(scope, key);
        return RunAsync(async (c, token) =>
            await ExecuteAsync(c, null, token,
                "UPDATE settings_documents SET deleted_at = @at WHERE scope = @s AND doc_key = @k AND deleted_at IS NULL",
                ("@at", Ms(at)), ("@s", scope.ToKey()), ("@k", docKey)) > 0, ct);
    }

    // ---- variables --------------------------------------------------------------------------

    private static (string Mac, Dictionary<string, string> Values) CheckVariables(string mac, IReadOnlyDictionary<string, string> values)
    {
        var key = RequireMac(mac);
        var checkedValues = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            if (!VariableNames.IsValid(name)) throw new ArgumentException($"'{name}' is not a valid variable name.", nameof(values));
            checkedValues[name] = value ?? throw new ArgumentException($"Variable '{name}' has no value.", nameof(values));
        }
        return (key, checkedValues);
    }

    private const string UpsertVariableSql =
        "INSERT INTO device_variables (mac, name, value) VALUES (@mac, @name, @value) ON CONFLICT (mac, name) DO UPDATE SET value = excluded.value";

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, string>> GetVariablesAsync(string mac, CancellationToken ct = default)
    {
        var key = RequireMac(mac);
        return RunAsync<IReadOnlyDictionary<string, string>>(async (c, token) =>
        {
            var rows = await QueryAsync(c, null, token, r => (r.GetString(0), r.GetString(1)),
                "SELECT name, value FROM device_variables WHERE mac = @mac ORDER BY name", ("@mac", key));
            return rows.ToDictionary(r => r.Item1, r => r.Item2, StringComparer.Ordinal);
        }, ct);
    }

    /// <inheritdoc />
    public Task ReplaceVariablesAsync(string mac, IReadOnlyDictionary<string, string> values, CancellationToken ct = default) =>
        ImportVariablesAsync([new DeviceVariables(mac, values)], VariableImportMode.Replace, ct);

    /// <inheritdoc />
    public Task UpsertVariableAsync(string mac, string name, string? value, CancellationToken ct = default)
    {
        var key = RequireMac(mac);
        if (!VariableNames.IsValid(name)) throw new ArgumentException($"'{name}' is not a valid variable name.", nameof(name));
        return RunAsync(async (c, token) =>
        {
            if (value is null)
                await ExecuteAsync(c, null, token, "DELETE FROM device_variables WHERE mac = @mac AND name = @name", ("@mac", key), ("@name", name));
            else
                await ExecuteAsync(c, null, token, UpsertVariableSql, ("@mac", key), ("@name", name), ("@value", value));
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<DeviceVariables>> ExportVariablesAsync(CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<DeviceVariables>>(async (c, token) =>
        {
            var rows = await QueryAsync(c, null, token, r => (Mac: r.GetString(0), Name: r.GetString(1), Value: r.GetString(2)),
                "SELECT mac, name, value FROM device_variables ORDER BY mac, name");
            return rows.GroupBy(r => r.Mac)
                .Select(g => new DeviceVariables(g.Key, g.ToDictionary(r => r.Name, r => r.Value, StringComparer.Ordinal)))
                .ToList();
        }, ct);

    /// <inheritdoc />
    public Task<int> ImportVariablesAsync(IReadOnlyList<DeviceVariables> rows, VariableImportMode mode, CancellationToken ct = default)
    {
        // Validate everything before the transaction: one bad row rejects the import, nothing half-written.
        var merged = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var (mac, values) = CheckVariables(row.Mac, row.Values);
            if (!merged.TryGetValue(mac, out var existing)) merged[mac] = values;
            else foreach (var (n, v) in values) existing[n] = v;
        }
        return RunAsync(async (c, token) =>
        {
            await using var tx = await c.BeginTransactionAsync(token);
            if (mode == VariableImportMode.Replace)
            {
                foreach (var mac in merged.Keys)
                    await ExecuteAsync(c, tx, token, "DELETE FROM device_variables WHERE mac = @mac", ("@mac", mac));
            }
            var all = merged.SelectMany(m => m.Value.Select(v => new object?[] { m.Key, v.Key, v.Value })).ToList();
            if (all.Count > 0) await ExecuteManyAsync(c, tx, UpsertVariableSql, ["@mac", "@name", "@value"], [typeof(string), typeof(string), typeof(string)], all, token);
            await tx.CommitAsync(token);
            return merged.Count;
        }, ct);
    }

    // ---- download tokens ------------------------------------------------------------------

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, string>> LoadDownloadTokensAsync(CancellationToken ct = default) =>
        RunAsync<IReadOnlyDictionary<string, string>>(async (c, token) =>
        {
            var rows = await QueryAsync(c, null, token, r => (r.GetString(0), r.GetString(1)), "SELECT mac, token FROM download_tokens");
            return rows.ToDictionary(r => r.Item1, r => r.Item2, StringComparer.Ordinal);
        }, ct);

    /// <inheritdoc />
    public Task SetDownloadTokenAsync(string mac, string token, DateTimeOffset at, CancellationToken ct = default)
    {
        var key = RequireMac(mac);
        ArgumentException.ThrowIfNullOrEmpty(token);
        return RunAsync((c, t) => ExecuteAsync(c, null, t, UpsertTokenSql, ("@mac", key), ("@token", token), ("@issued_at", Ms(at))), ct);
    }
}
