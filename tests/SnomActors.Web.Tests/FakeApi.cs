using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using System.Xml;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;

namespace SnomActors.Web.Tests;

/// <summary>
/// A stand-in for the daemon's JSON API on 127.0.0.1 (free port) that serves the page from the
/// source tree. It lets page behaviour the real host cannot easily stage (a quarantined phone, a
/// long timeline, events pushed at a chosen moment) be tested deterministically.
/// </summary>
internal sealed class FakeApi : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<Channel<string>, byte> _subscribers = new();
    private readonly ConcurrentDictionary<string, List<(int Version, string Author, DateTimeOffset At, string Xml)>> _docs = new();

    /// <summary>Devices by normalised MAC.</summary>
    public ConcurrentDictionary<string, JsonObject> Devices { get; } = new();

    /// <summary>What GET /api/stats answers.</summary>
    public JsonObject Stats { get; set; } = new() { ["devices"] = 0, ["byState"] = new JsonObject(), ["timeline"] = new JsonArray() };

    /// <summary>Requests the page made that change something, e.g. "POST /api/devices/x/approve".</summary>
    public ConcurrentQueue<string> Mutations { get; } = new();

    public string BaseUrl { get; private set; } = "";

    private FakeApi(WebApplication app) => _app = app;

    public static async Task<FakeApi> StartAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = RepoPaths.WwwRoot });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var api = new FakeApi(app);
        api.Map();
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
        api.BaseUrl = addresses.Addresses.First().TrimEnd('/') + "/";
        return api;
    }

    /// <summary>Sends an SSE event to every connected page.</summary>
    public async Task PublishAsync(string eventName, JsonNode data)
    {
        var message = $"event: {eventName}\ndata: {data.ToJsonString()}\n\n";
        foreach (var channel in _subscribers.Keys) await channel.Writer.WriteAsync(message);
    }

    /// <summary>Stores the device and pushes it as a live "device" event.</summary>
    public Task PublishDeviceAsync(JsonObject device)
    {
        Devices[device["mac"]!.GetValue<string>()] = device;
        return PublishAsync("device", device.DeepClone());
    }

    public int Subscribers => _subscribers.Count;

    public static JsonObject Device(string mac, string state, string model = "snom360", string vendor = "snom",
        string ip = "10.0.0.2", DateTimeOffset? at = null, string admission = "allowed")
    {
        var t = at ?? new DateTimeOffset(2025, 11, 26, 9, 30, 0, TimeSpan.Zero);
        var order = new[] { "seen", "answered", "notified", "provisioned", "downloaded" };
        var reached = Array.IndexOf(order, state);
        string? Step(int index, int seconds) => reached >= index ? t.AddMilliseconds(seconds * 100).ToString("O") : null;
        var steps = new JsonObject
        {
            ["subscribeSeen"] = t.ToString("O"),
            ["answered"] = Step(1, 1),
            ["notifySent"] = Step(2, 2),
            ["notifyAcked"] = Step(3, 3),
            ["failed"] = state == "failed" ? t.AddSeconds(32).ToString("O") : null,
            ["failureReason"] = state == "failed" ? "NOTIFY never acknowledged (Timer F)" : null,
            ["settingsDownloaded"] = Step(4, 5),
        };
        return new JsonObject
        {
            ["mac"] = mac, ["vendor"] = vendor, ["model"] = model, ["firmware"] = "8.7.5.35",
            ["userAgent"] = $"{vendor}{model}-SIP 8.7.5.35", ["lastIp"] = ip,
            ["firstSeen"] = t.ToString("O"), ["lastSeen"] = t.ToString("O"),
            ["admission"] = admission, ["state"] = state, ["steps"] = steps,
            ["notifyUrl"] = $"http://10.0.0.1:8080/settings/{mac}.xml",
        };
    }

    /// <summary>When set, /api/* (except the event stream, which EventSource cannot authenticate with a header) wants this bearer token.</summary>
    public string? RequiredToken { get; set; }

    private void Map()
    {
        _app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? "";
            if (RequiredToken is { } token && path.StartsWith("/api/", StringComparison.Ordinal) && path != "/api/events"
                && context.Request.Headers.Authorization.ToString() != $"Bearer {token}")
            {
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await context.Response.WriteAsJsonAsync(new { title = "Unauthorized", status = 401 }, Json, "application/problem+json");
                return;
            }
            await next(context);
        });
        var files = new PhysicalFileProvider(RepoPaths.WwwRoot);
        _app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        _app.UseStaticFiles(new StaticFileOptions { FileProvider = files });

        _app.MapGet("/api/devices", (string? q, string? state, string? vendor) =>
        {
            var items = Devices.Values
                .Where(d => state is null || d["state"]!.GetValue<string>() == state)
                .Where(d => vendor is null || d["vendor"]!.GetValue<string>() == vendor)
                .Where(d => q is null || d.ToJsonString().Contains(q.Replace(":", ""), StringComparison.OrdinalIgnoreCase))
                .OrderBy(d => d["mac"]!.GetValue<string>())
                .Select(d => d.DeepClone()).ToArray();
            return Results.Json(new JsonObject { ["total"] = items.Length, ["items"] = new JsonArray(items) }, Json);
        });
        _app.MapGet("/api/devices/{mac}", (string mac) =>
        {
            if (!Devices.TryGetValue(mac, out var d)) return Results.Problem(title: "Unknown device", statusCode: 404);
            var detail = (JsonObject)d.DeepClone();
            detail["downloads"] = new JsonArray(new JsonObject
            {
                ["at"] = "2025-11-26T09:30:01.000Z", ["sourceIp"] = d["lastIp"]!.GetValue<string>(), ["status"] = 200,
                ["bytes"] = 2048, ["etag"] = "\"v3-ab12\"",
            });
            detail["variables"] = new JsonObject { ["extension"] = "201", ["display_name"] = "Reception", ["sip_password"] = "s3cret" };
            return Results.Json(detail, Json);
        });
        _app.MapDelete("/api/devices/{mac}", (string mac) =>
        {
            Mutations.Enqueue($"DELETE /api/devices/{mac}");
            return Devices.TryRemove(mac, out _) ? Results.NoContent() : Results.NotFound();
        });
        _app.MapPost("/api/devices/{mac}/{action:regex(^(approve|deny)$)}", (string mac, string action) =>
        {
            Mutations.Enqueue($"POST /api/devices/{mac}/{action}");
            if (Devices.TryGetValue(mac, out var d)) d["admission"] = action == "approve" ? "allowed" : "denied";
            return Results.NoContent();
        });
        // Push re-provisioning: recorded with the query, which carries all= and reboot=.
        _app.MapPost("/api/devices/{mac}/resync", (string mac, HttpRequest r) =>
        {
            Mutations.Enqueue($"POST /api/devices/{mac}/resync{r.QueryString}");
            return Results.Json(new JsonObject { ["queued"] = 1, ["queueLength"] = 1, ["skipped"] = 0 }, Json, statusCode: 202);
        });
        _app.MapPost("/api/resync", (HttpRequest r) =>
        {
            Mutations.Enqueue($"POST /api/resync{r.QueryString}");
            return Results.Json(new JsonObject { ["queued"] = Devices.Count, ["queueLength"] = Devices.Count, ["skipped"] = 0 }, Json, statusCode: 202);
        });
        _app.MapGet("/api/stats", () => Results.Json(Stats, Json));
        _app.MapGet("/api/events", ServeEvents);

        _app.MapGet("/api/settings", () => Results.Json(new JsonArray(_docs.SelectMany(kv => kv.Value.Select(v =>
            (JsonNode)Summary(kv.Key, v.Version, v.Author, v.At, v.Xml))).ToArray()), Json));
        _app.MapPut("/api/settings/general", (HttpRequest r, string? author) => Upload("general", "", r, author));
        _app.MapPut("/api/settings/{scope:regex(^(vendor|model|mac)$)}/{key}", (string scope, string key, HttpRequest r, string? author) => Upload(scope, key, r, author));
        _app.MapGet("/api/settings/general/versions", () => Versions("general/"));
        _app.MapGet("/api/settings/{scope}/{key}/versions", (string scope, string key) => Versions($"{scope}/{key}"));
        _app.MapGet("/api/settings/general/versions/{n:int}", (int n) => Version("general/", n));
        _app.MapGet("/api/settings/{scope}/{key}/versions/{n:int}", (string scope, string key, int n) => Version($"{scope}/{key}", n));
        _app.MapGet("/api/settings/general/diff", (int from, int to) => Diff("general/", from, to));
        _app.MapGet("/api/settings/{scope}/{key}/diff", (string scope, string key, int from, int to) => Diff($"{scope}/{key}", from, to));
        _app.MapGet("/api/preview/{mac}", (string mac) =>
        {
            if (!_docs.TryGetValue("general/", out var versions))
                return Results.Problem(title: "No settings", detail: "No document applies to this device.", statusCode: 404);
            var latest = versions[^1];
            return Results.Json(new JsonObject
            {
                ["mac"] = mac,
                ["source"] = new JsonObject { ["scope"] = "general", ["key"] = null, ["version"] = latest.Version },
                ["content"] = latest.Xml.Replace("{mac}", mac),
            }, Json);
        });
        _app.MapPost("/api/variables/import", async (HttpRequest r) =>
        {
            using var reader = new StreamReader(r.Body);
            var lines = (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var rows = new JsonArray();
            int accepted = 0, rejected = 0;
            for (var i = 1; i < lines.Length; i++)
            {
                var mac = lines[i].Split(',')[0].Trim();
                var ok = mac.Replace(":", "").Length == 12;
                if (ok) accepted++; else rejected++;
                rows.Add(new JsonObject
                {
                    ["line"] = i + 1, ["mac"] = mac, ["status"] = ok ? "accepted" : "rejected",
                    ["error"] = ok ? null : "not a MAC address",
                });
            }
            return Results.Json(new JsonObject { ["accepted"] = accepted, ["rejected"] = rejected, ["rows"] = rows }, Json);
        });
        _app.MapGet("/api/variables/export", () => Results.Text("mac,extension\n000413000001,201\n", "text/csv"));
    }

    private async Task ServeEvents(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var channel = Channel.CreateUnbounded<string>();
        _subscribers[channel] = 0;
        try
        {
            await context.Response.WriteAsync(": connected\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await foreach (var message in channel.Reader.ReadAllAsync(context.RequestAborted))
            {
                await context.Response.WriteAsync(message, context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
            // the page went away
        }
        finally
        {
            _subscribers.TryRemove(channel, out _);
        }
    }

    private async Task<IResult> Upload(string scope, string key, HttpRequest request, string? author)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var xml = await reader.ReadToEndAsync();
        try
        {
            using var x = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
            while (x.Read()) { }
        }
        catch (XmlException e)
        {
            return Results.Json(new JsonObject
            {
                ["type"] = "about:blank", ["title"] = "The settings document is not well-formed XML.", ["status"] = 400,
                ["errors"] = new JsonArray(new JsonObject { ["line"] = e.LineNumber, ["column"] = e.LinePosition, ["message"] = e.Message.Split(" Line ")[0] }),
            }, Json, "application/problem+json", 400);
        }
        var id = $"{scope}/{key}";
        var list = _docs.GetOrAdd(id, _ => []);
        lock (list) list.Add((list.Count + 1, author ?? "admin", DateTimeOffset.UtcNow, xml));
        var last = list[^1];
        return Results.Json(Summary(id, last.Version, last.Author, last.At, xml), Json, statusCode: 201);
    }

    private static JsonObject Summary(string id, int version, string author, DateTimeOffset at, string xml)
    {
        var parts = id.Split('/');
        return new JsonObject
        {
            ["scope"] = parts[0], ["key"] = parts[1].Length == 0 ? null : parts[1], ["version"] = version,
            ["author"] = author, ["createdAt"] = at.ToString("O"), ["sizeBytes"] = Encoding.UTF8.GetByteCount(xml),
            ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(xml))),
        };
    }

    private IResult Versions(string id) => _docs.TryGetValue(id, out var list)
        ? Results.Json(new JsonArray(list.Select(v => (JsonNode)Summary(id, v.Version, v.Author, v.At, v.Xml)).ToArray()), Json)
        : Results.NotFound();

    private IResult Version(string id, int n) => _docs.TryGetValue(id, out var list) && n >= 1 && n <= list.Count
        ? Results.Text(list[n - 1].Xml, "application/xml")
        : Results.NotFound();

    // Enough of a diff for the page: lines only in "from" are removed, lines only in "to" added.
    private IResult Diff(string id, int from, int to)
    {
        if (!_docs.TryGetValue(id, out var list)) return Results.NotFound();
        var a = list[from - 1].Xml.Split('\n');
        var b = list[to - 1].Xml.Split('\n');
        var lines = new JsonArray();
        foreach (var line in a) lines.Add(new JsonObject { ["op"] = b.Contains(line) ? " " : "-", ["text"] = line });
        foreach (var line in b.Where(l => !a.Contains(l))) lines.Add(new JsonObject { ["op"] = "+", ["text"] = line });
        return Results.Json(new JsonObject { ["from"] = from, ["to"] = to, ["lines"] = lines }, Json);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _subscribers.Keys) channel.Writer.TryComplete();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
