using System.Net;
using System.Net.Sockets;
using SnomActors.Simulator.Fetching;

namespace SnomActors.Simulator.Tests.Fetching;

/// <summary>The simulator's download against a real HTTP listener on loopback.</summary>
public sealed class HttpSettingsFetcherTests : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Uri _url;
    private int _requests;

    public HttpSettingsFetcherTests()
    {
        var port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _url = new Uri($"http://127.0.0.1:{port}/settings/000413000001.xml");
    }

    public void Dispose() => _listener.Close();

    /// <summary>Answers the first <paramref name="shedding"/> requests with 503 + Retry-After, then 200.</summary>
    private async Task ServeAsync(int shedding, string retryAfter, int requests)
    {
        for (var i = 0; i < requests; i++)
        {
            var context = await _listener.GetContextAsync();
            var n = Interlocked.Increment(ref _requests);
            if (n <= shedding)
            {
                context.Response.StatusCode = 503;
                context.Response.Headers["Retry-After"] = retryAfter;
                context.Response.Close();
                continue;
            }
            var body = "<settings/>"u8.ToArray();
            context.Response.StatusCode = 200;
            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }

    [Fact]
    public async Task A_503_with_Retry_After_is_retried_after_the_delay_until_the_settings_come()
    {
        using var fetcher = new HttpSettingsFetcher(TimeSpan.FromSeconds(10));
        var server = ServeAsync(shedding: 2, retryAfter: "1", requests: 3);
        var started = DateTime.UtcNow;

        var result = await fetcher.FetchAsync(_url, CancellationToken.None);
        await server;

        Assert.True(result.Success, result.Error);
        Assert.Equal(200, result.StatusCode);
        Assert.Equal(11, result.Bytes);
        Assert.Equal(3, result.Attempts);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(1.9), "the Retry-After delays were not obeyed");
    }

    [Fact]
    public async Task Retries_are_bounded_and_the_last_503_is_reported()
    {
        using var fetcher = new HttpSettingsFetcher(TimeSpan.FromSeconds(10), maxRetries: 1);
        var server = ServeAsync(shedding: 5, retryAfter: "0", requests: 2);

        var result = await fetcher.FetchAsync(_url, CancellationToken.None);
        await server;

        Assert.False(result.Success);
        Assert.Equal(503, result.StatusCode);
        Assert.Equal(2, result.Attempts);
    }

    [Fact]
    public async Task A_Retry_After_longer_than_the_limit_is_not_waited_for()
    {
        using var fetcher = new HttpSettingsFetcher(TimeSpan.FromSeconds(10), maxRetryDelay: TimeSpan.FromSeconds(5));
        var server = ServeAsync(shedding: 1, retryAfter: "3600", requests: 1);

        var result = await fetcher.FetchAsync(_url, CancellationToken.None);
        await server;

        Assert.False(result.Success);
        Assert.Equal(1, result.Attempts);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
