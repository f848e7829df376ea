using SnomActors.Registry.Config;

namespace SnomActors.Registry.Store;

/// <summary>Chooses and opens the store the options ask for.</summary>
public static class RegistryStoreFactory
{
    /// <summary>
    /// PostgreSQL when <see cref="RegistryOptions.PostgresConnectionString"/> is set, otherwise SQLite
    /// under <see cref="RegistryOptions.DataDirectory"/>. Not yet opened: the first call (or
    /// <see cref="IRegistryStore.InitializeAsync"/>) runs the migrations, so a daemon can start while
    /// its database is still coming up.
    /// </summary>
    public static IRegistryStore Create(RegistryOptions options) =>
        string.IsNullOrWhiteSpace(options.PostgresConnectionString)
            ? new SqliteRegistryStore(options.DataDirectory, options.SqliteBusyTimeout, options.StoreResilience)
            : new PostgresRegistryStore(options.PostgresConnectionString, options.StoreResilience);

    /// <summary><see cref="Create"/> and open (migrate) the store.</summary>
    public static async Task<IRegistryStore> OpenAsync(RegistryOptions options, CancellationToken ct = default)
    {
        var store = Create(options);
        try
        {
            await store.InitializeAsync(ct);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>Blocking <see cref="OpenAsync"/> for start-up code and tools.</summary>
    public static IRegistryStore Open(RegistryOptions options) => OpenAsync(options).GetAwaiter().GetResult();
}
