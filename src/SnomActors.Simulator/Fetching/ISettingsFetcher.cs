namespace SnomActors.Simulator.Fetching;

/// <summary>The outcome of downloading a settings file.</summary>
/// <param name="Success">True for a 2xx with a body read to the end.</param>
/// <param name="StatusCode">HTTP status, null when no response came (timeout, refused).</param>
/// <param name="Bytes">Body octets read.</param>
/// <param name="Error">What went wrong, null on success.</param>
public sealed record FetchResult(bool Success, int? StatusCode, long Bytes, string? Error)
{
    /// <summary>HTTP requests it took (more than one when the server answered 503 with Retry-After).</summary>
    public int Attempts { get; init; } = 1;

    /// <summary>A successful download of <paramref name="bytes"/> octets.</summary>
    public static FetchResult Ok(long bytes, int status = 200) => new(true, status, bytes, null);

    /// <summary>A failed download.</summary>
    public static FetchResult Failed(string error, int? status = null) => new(false, status, 0, error);
}

/// <summary>
/// Downloads the settings a NOTIFY pointed a phone to. Injected into the phones so that simulations
/// can run without HTTP (and in virtual time) and the CLI against the daemon's real Kestrel.
/// </summary>
public interface ISettingsFetcher
{
    /// <summary>Fetches <paramref name="url"/>; never throws for network or HTTP failures (they become a failed <see cref="FetchResult"/>).</summary>
    Task<FetchResult> FetchAsync(Uri url, CancellationToken cancellationToken);
}
