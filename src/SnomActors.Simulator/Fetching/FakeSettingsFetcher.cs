using System.Collections.Concurrent;

namespace SnomActors.Simulator.Fetching;

/// <summary>
/// A download that completes at once (so simulations stay in virtual time): every URL succeeds with
/// <see cref="BodyBytes"/> octets unless <see cref="Decide"/> says otherwise. Thread-safe; records
/// how often each URL was fetched.
/// </summary>
public sealed class FakeSettingsFetcher : ISettingsFetcher
{
    private readonly ConcurrentDictionary<string, int> _fetches = new(StringComparer.Ordinal);

    /// <summary>Size reported for a successful download.</summary>
    public long BodyBytes { get; init; } = 1200;

    /// <summary>Optional per-URL outcome; null means success.</summary>
    public Func<Uri, FetchResult>? Decide { get; init; }

    /// <summary>How often each URL was fetched.</summary>
    public IReadOnlyDictionary<string, int> Fetches => _fetches;

    /// <summary>Total number of fetches.</summary>
    public int TotalFetches => _fetches.Values.Sum();

    /// <inheritdoc />
    public Task<FetchResult> FetchAsync(Uri url, CancellationToken cancellationToken)
    {
        _fetches.AddOrUpdate(url.ToString(), 1, (_, n) => n + 1);
        return Task.FromResult(Decide?.Invoke(url) ?? FetchResult.Ok(BodyBytes));
    }
}
