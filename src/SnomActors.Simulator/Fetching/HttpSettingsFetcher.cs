using System.Net;

namespace SnomActors.Simulator.Fetching;

/// <summary>
/// The real download: an HTTP GET with a timeout, reading and counting the body. One instance (one
/// connection pool) serves every simulated phone.
/// </summary>
public sealed class HttpSettingsFetcher : ISettingsFetcher, IDisposable
{
    private readonly HttpClient _client;

    /// <summary>A fetcher whose requests give up after <paramref name="timeout"/>.</summary>
    /// <param name="timeout">Per-request limit, headers and body.</param>
    /// <param name="maxConnectionsPerServer">Connection pool size towards the daemon (a boot storm fetches in parallel).</param>
    public HttpSettingsFetcher(TimeSpan timeout, int maxConnectionsPerServer = 256)
    {
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
        try
        {
            using var response = await _client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var buffer = new byte[16 * 1024];
            long total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0) total += read;
            return response.IsSuccessStatusCode ? FetchResult.Ok(total, status) : new FetchResult(false, status, total, $"HTTP {status}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return FetchResult.Failed("timeout");
        }
        catch (HttpRequestException ex)
        {
            return FetchResult.Failed(ex.Message, ex.StatusCode is { } code ? (int)code : null);
        }
        catch (IOException ex)
        {
            return FetchResult.Failed(ex.Message);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();
}
