using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace SnomActors.Registry.Store;

/// <summary>Thrown by a store (or a test double) when the database cannot be reached right now.</summary>
public sealed class RegistryStoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Which store failures are worth retrying: a busy or unreachable database, not a bad query.</summary>
public static class RegistryStoreErrors
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    /// <summary>
    /// SQLITE_BUSY/LOCKED, Npgsql's transient errors (refused or dropped connection, timeouts,
    /// serialization failures, server shutting down), socket errors, timeouts and
    /// <see cref="RegistryStoreUnavailableException"/>; looks through wrapping exceptions.
    /// </summary>
    public static bool IsTransient(Exception? ex)
    {
        for (var depth = 0; ex is not null && depth < 8; depth++, ex = ex.InnerException)
        {
            switch (ex)
            {
                case OperationCanceledException:
                    return false;
                case SqliteException s when (s.SqliteErrorCode & 0xff) is SqliteBusy or SqliteLocked:
                case NpgsqlException { IsTransient: true }:
                case RegistryStoreUnavailableException:
                case TimeoutException:
                case SocketException:
                    return true;
            }
        }
        return false;
    }
}
