using System.Net;

namespace SnomActors.Simulator.Fetching;

/// <summary>
/// The real download: an HTTP GET with a timeout, reading and counting the body. One instance (one
/// connection pool) serves every simulated phone.
/// </summary>
public sealed class HttpSettingsFetcher : ISettingsFetcher, IDisposable
{
    private readonly HttpClient _client;
    private readonly int _maxRetries;
    private readonly TimeSpan _maxRetryDelay;

    /// <summary>A fetcher whose requests give up after <paramref name="timeout"/>.</summary>
    /// <param name="timeout">Per-request limit, headers and body.</param>
    /// <param name="maxConnectionsPerServer">
    /// Connection pool size towards the daemon. Unlimited by default, because every real phone has a
    /// connection of its own: with a small pool the time a download queues for a connection inside
    /// the simulator would count against its timeout, and the storm would measure the simulator.
    /// </param>
    /// <param name="maxRetries">
    /// How many times a 503 with Retry-After is retried after the delay it names, as provisioning
    /// clients of phones do when a server sheds load (0 = never).
    /// </param>
    /// <param name="maxRetryDelay">The longest Retry-After obeyed; a longer one ends the download as failed.</param>
    public HttpSettingsFetcher(TimeSpan timeout, int maxConnectionsPerServer = int.MaxValue, int maxRetries = 5, TimeSpan? maxRetryDelay = null)
    {
        _maxRetries = maxRetries;
        _maxRetryDelay = maxRetryDelay ?? TimeSpan.FromSeconds(30);
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnectionsPerServer,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        };
        _client = new HttpClient(handler) { Timeout = timeout };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("SnomActors-Simulator/1.0");
    }

    /// <inheritdoc />
    public async Task<FetchResult> FetchAsync(Uri url, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (result, retryAfter) = await FetchOnceAsync(url, cancellationToken).ConfigureAwait(false);
            if (result.Success || result.StatusCode != 503 || retryAfter is not { } delay || attempt >= _maxRetries || delay > _maxRetryDelay)
                return result with { Attempts = attempt + 1 };
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(FetchResult Result, TimeSpan? RetryAfter)> FetchOnceAsync(Uri url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var retryAfter = response.Headers.RetryAfter switch
            {
                { Delta: { } delta } => delta,
                { Date: { } date } => date - DateTimeOffset.UtcNow is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero,
                _ => (TimeSpan?)null,
            };
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var buffer = new byte[16 * 1024];
            long total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0) total += read;
            return (response.IsSuccessStatusCode ? FetchResult.Ok(total, status) : new FetchResult(false, status, total, $"HTTP {status}"), retryAfter);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (FetchResult.Failed("timeout"), null);
        }
        catch (HttpRequestException ex)
        {
            return (FetchResult.Failed(ex.Message, ex.StatusCode is { } code ? (int)code : null), null);
        }
        catch (IOException ex)
        {
            return (FetchResult.Failed(ex.Message), null);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();
}
