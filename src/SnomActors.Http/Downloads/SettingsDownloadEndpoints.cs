using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using SnomActors.Http.Api;
using SnomActors.Http.Hosting;
using SnomActors.Http.Security;
using SnomActors.Http.Settings;
using SnomActors.Registry.Model;
using SnomActors.Sip.Identity;

namespace SnomActors.Http.Downloads;

/// <summary>
/// <c>GET|HEAD /settings/{mac}.xml</c> and <c>/settings.xml?mac=</c>: a phone's rendered settings.
/// The MAC from the URL is only ever normalised and looked up — no file path is built from it.
/// </summary>
public static class SettingsDownloadEndpoints
{
    private static readonly string[] GetHead = [HttpMethods.Get, HttpMethods.Head];

    /// <summary>Maps both download forms.</summary>
    public static IEndpointRouteBuilder MapSettingsDownloads(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/settings/{file}", GetHead, (Func<HttpContext, string, Task<IResult>>)((HttpContext context, string file) =>
            {
                // The file part must be exactly "<mac>.xml"; "abc.xml.bak", "x.txt" and friends are 400 like any bad MAC.
                var mac = file.EndsWith(".xml", StringComparison.OrdinalIgnoreCase) ? file[..^4] : null;
                // Grandstream treats the PnP URL as a directory and asks for cfg<mac>.xml under it (protocol.md §5.2).
                if (mac is { Length: 15 } && mac.StartsWith("cfg", StringComparison.OrdinalIgnoreCase)) mac = mac[3..];
                return ServeAsync(context, mac ?? file, mac is not null);
            }))
            .WithName("DownloadSettings").WithTags("Downloads")
            .Produces(StatusCodes.Status200OK, contentType: "application/xml")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapMethods("/settings.xml", GetHead, (Func<HttpContext, Task<IResult>>)((HttpContext context) =>
            {
                var values = context.Request.Query["mac"];
                return ServeAsync(context, values.Count == 1 ? values[0] : null, values.Count == 1);
            }))
            .WithName("DownloadSettingsLegacy").WithTags("Downloads")
            .Produces(StatusCodes.Status200OK, contentType: "application/xml")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<IResult> ServeAsync(HttpContext context, string? rawMac, bool wellShaped)
    {
        var services = context.RequestServices;
        var admission = services.GetRequiredService<DownloadAdmission>();
        var counters = services.GetRequiredService<DownloadCounters>();
        if (!admission.TryAdmit())
        {
            counters.Answered(StatusCodes.Status503ServiceUnavailable);
            context.Response.Headers.RetryAfter = admission.NextRetryAfterSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problems.Overloaded("Too many settings downloads at once; retry later.");
        }
        var registry = services.GetRequiredService<RegistryAccess>();
        var recorder = new CountingRecorder(registry, counters, context.Request.Method);
        if (!wellShaped || !MacAddress.TryNormalize(rawMac, out var mac))
        {
            // "/settings/<mac>" without ".xml" names a phone even though the URL is wrong: the operator should see it tried.
            if (MacAddress.TryNormalize(rawMac, out var named))
                recorder.RecordDownload(named, 400, 0, null, SourceIp(context), Problems.Printable(context.Request.Path.Value));
            return Problems.BadMac(rawMac);
        }

        var options = services.GetRequiredService<HttpOptions>();
        var ct = context.RequestAborted;
        var sourceIp = SourceIp(context);
        var path = Problems.Printable(context.Request.Path.Value);

        var device = await registry.GetDeviceAsync(mac, ct).ConfigureAwait(false);
        var protection = await services.GetRequiredService<IDownloadProtection>().CheckAsync(context, mac, device, ct).ConfigureAwait(false);
        if (!protection.Allowed)
        {
            recorder.RecordDownload(mac, protection.StatusCode, 0, null, sourceIp, path);
            if (protection.Challenges is { Count: > 0 } challenges) context.Response.Headers.WWWAuthenticate = new Microsoft.Extensions.Primitives.StringValues([.. challenges]);
            else if (protection.Challenge is not null) context.Response.Headers.WWWAuthenticate = protection.Challenge;
            if (protection.RetryAfterSeconds is { } retry) context.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return protection.StatusCode switch
            {
                // Word for word the unknown-phone answer: a wrong token must not tell whether the MAC exists.
                StatusCodes.Status404NotFound => UnknownPhone(mac),
                StatusCodes.Status429TooManyRequests => Results.Problem(statusCode: 429, title: "Too many requests", detail: "Too many refused downloads from this address; retry later."),
                _ => Results.Problem(statusCode: protection.StatusCode, detail: "Not available."),
            };
        }
        if (device is null && options.UnknownDevicePolicy == UnknownDevicePolicy.NotFound)
        {
            recorder.RecordDownload(mac, 404, 0, null, sourceIp, path);
            return UnknownPhone(mac);
        }

        var resolution = await services.GetRequiredService<SettingsDocumentCache>()
            .ResolveAsync(mac, device?.Model, device?.Vendor, ct).ConfigureAwait(false);
        if (resolution is null)
        {
            recorder.RecordDownload(mac, 404, 0, null, sourceIp, path);
            return Problems.NotFound($"No settings document applies to {mac}: upload a general one.");
        }

        var variables = await registry.GetVariablesAsync(mac, ct).ConfigureAwait(false);
        var fields = new DeviceTemplateFields(mac, sourceIp ?? device?.LastIp, device?.Vendor, device?.Model, device?.Firmware, device?.UserAgent);
        var body = SettingsTemplateRenderer.RenderUtf8(resolution.Document.Content, TemplateValues.For(fields, variables));
        var etag = ETags.Compute(body);
        var lastModified = services.GetRequiredService<RenderedVersionClock>().LastModified(mac, etag, resolution.Document.CreatedAt);
        // Recorded with the answer so the operator sees which document and version this phone got.
        var served = new SettingsVersionRef(resolution.Document.Scope, resolution.Document.Key, resolution.Document.Version);

        var headers = context.Response.GetTypedHeaders();
        headers.ETag = new EntityTagHeaderValue(etag);
        headers.LastModified = lastModified;
        // Phones must revalidate every time: the file changes when the operator uploads or imports.
        context.Response.Headers.CacheControl = "no-cache";

        if (NotModified(context.Request, etag, lastModified))
        {
            recorder.RecordDownload(mac, 304, 0, etag, sourceIp, path, served);
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        var isHead = HttpMethods.IsHead(context.Request.Method);
        // A HEAD is recorded with its method; the registry lists it but does not mark the device downloaded.
        recorder.RecordDownload(mac, 200, isHead ? 0 : body.Length, etag, sourceIp, path, served);
        return new XmlBytesResult(body, isHead);
    }

    private static IResult UnknownPhone(string mac) => Problems.NotFound($"No phone {mac} is known to this server.");

    /// <summary>RFC 9110 §13.2.2: If-None-Match decides when present; If-Modified-Since only without it.</summary>
    private static bool NotModified(HttpRequest request, string etag, DateTimeOffset lastModified)
    {
        if (request.Headers.ContainsKey(HeaderNames.IfNoneMatch))
            return ETags.IfNoneMatchMatches(request.Headers.IfNoneMatch.ToString(), etag);
        var since = request.GetTypedHeaders().IfModifiedSince;
        return since is not null && lastModified <= since.Value;
    }

    /// <summary>The client address as text, IPv4-mapped IPv6 shown as IPv4.</summary>
    public static string? SourceIp(HttpContext context)
    {
        var ip = context.Connection.RemoteIpAddress;
        if (ip is null) return null;
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        return ip.ToString();
    }

    private sealed class XmlBytesResult(byte[] body, bool headOnly) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/xml; charset=utf-8";
            response.ContentLength = body.Length;
            return headOnly ? Task.CompletedTask : response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
        }
    }

    /// <summary>Records each answered download on the device and counts it by status.</summary>
    private sealed class CountingRecorder(RegistryAccess registry, DownloadCounters counters, string method)
    {
        public void RecordDownload(string mac, int status, long bytes, string? etag, string? sourceIp, string? path, SettingsVersionRef? settings = null)
        {
            counters.Answered(status);
            registry.RecordDownload(mac, status, bytes, etag, sourceIp, path, HttpMethods.IsHead(method) ? HttpMethods.Head : HttpMethods.Get, settings);
        }
    }
}
