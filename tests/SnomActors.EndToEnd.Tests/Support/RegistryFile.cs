using Microsoft.Data.Sqlite;

namespace SnomActors.EndToEnd.Tests.Support;

/// <summary>
/// The daemon's SQLite registry read directly (plain SQL, not the daemon's store code), for checks
/// after a crash or a stop: integrity and rows.
/// </summary>
internal static class RegistryFile
{
    /// <summary>
    /// Copies the database with its write-ahead log and shared-memory index (what a crash leaves
    /// behind) into <paramref name="directory"/>; returns the copy's path.
    /// </summary>
    public static string CopyWithJournal(string databaseFile, string directory)
    {
        var copy = Path.Combine(directory, Path.GetFileName(databaseFile));
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            if (File.Exists(databaseFile + suffix)) File.Copy(databaseFile + suffix, copy + suffix, overwrite: true);
        return copy;
    }

    /// <summary><c>PRAGMA integrity_check</c>: "ok", or SQLite's list of problems (or the error opening the file).</summary>
    public static string IntegrityCheck(string databaseFile)
    {
        try
        {
            using var connection = Open(databaseFile);
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA integrity_check";
            using var reader = command.ExecuteReader();
            var lines = new List<string>();
            while (reader.Read()) lines.Add(reader.GetString(0));
            return string.Join("; ", lines);
        }
        catch (SqliteException e)
        {
            return $"cannot read {databaseFile}: {e.Message}";
        }
    }

    /// <summary>Runs <paramref name="sql"/> (parameters <c>$p0</c>, <c>$p1</c> …) and returns every row's columns as strings (null for NULL).</summary>
    public static List<string?[]> Query(string databaseFile, string sql, params object[] parameters)
    {
        using var connection = Open(databaseFile);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < parameters.Length; i++) command.Parameters.AddWithValue($"$p{i}", parameters[i]);
        using var reader = command.ExecuteReader();
        var rows = new List<string?[]>();
        while (reader.Read())
        {
            var row = new string?[reader.FieldCount];
            for (var c = 0; c < row.Length; c++)
                row[c] = reader.IsDBNull(c) ? null : Convert.ToString(reader.GetValue(c), System.Globalization.CultureInfo.InvariantCulture);
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>The single value of a scalar query, as a number.</summary>
    public static long Count(string databaseFile, string sql, params object[] parameters) =>
        long.Parse(Query(databaseFile, sql, parameters)[0][0] ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    private static SqliteConnection Open(string databaseFile)
    {
        // ReadWrite (not ReadOnly): opening a database whose -wal a crash left behind recovers it.
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databaseFile,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }
}
