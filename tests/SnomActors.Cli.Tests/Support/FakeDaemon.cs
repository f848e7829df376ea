using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SnomActors.Cli.Tests.Support;

/// <summary>A canned answer: status, content type, body.</summary>
public sealed record Canned(int Status, string ContentType, string Body);

/// <summary>
/// A stand-in for the daemon's HTTP side on 127.0.0.1 (free port): every GET answers with what the
/// test put under its path (path and query, e.g. <c>/api/devices?limit=8</c>), else 404 problem+json.
/// Records the requests so tests can check what the CLI asked for.
/// </summary>
public sealed class FakeDaemon : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Canned> _answers = new(StringComparer.Ordinal);

    private FakeDaemon(WebApplication app) => _app = app;

    public string Url => _app.Urls.Single();

    public ConcurrentQueue<(string PathAndQuery, string? Authorization)> Requests { get; } = new();

    public static async Task<FakeDaemon> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeDaemon(app);
        app.Run(async context =>
        {
            var key = context.Request.Path.Value + context.Request.QueryString.Value;
            fake.Requests.Enqueue((key, context.Request.Headers.Authorization.FirstOrDefault()));
            var answer = fake._answers.TryGetValue(key, out var exact) ? exact
                : fake._answers.TryGetValue(context.Request.Path.Value ?? string.Empty, out var byPath) ? byPath
                : new Canned(404, "application/problem+json", $$"""{"title":"Not found","status":404,"detail":"no route {{context.Request.Path}}"}""");
            context.Response.StatusCode = answer.Status;
            context.Response.ContentType = answer.ContentType;
            await context.Response.WriteAsync(answer.Body);
        });
        await app.StartAsync();
        return fake;
    }

    public FakeDaemon Json(string path, string json, int status = 200) => Set(path, new Canned(status, "application/json", json));

    public FakeDaemon Problem(string path, int status, string json) => Set(path, new Canned(status, "application/problem+json", json));

    public FakeDaemon Text(string path, string text, string contentType = "text/plain; version=0.0.4; charset=utf-8") =>
        Set(path, new Canned(200, contentType, text));

    private FakeDaemon Set(string path, Canned answer)
    {
        _answers[path] = answer;
        return this;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
