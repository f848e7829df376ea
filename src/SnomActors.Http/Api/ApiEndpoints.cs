using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using SnomActors.Http.Downloads;
using SnomActors.Http.Hosting;
using SnomActors.Http.Settings;
using SnomActors.Http.Simulation;
using SnomActors.Registry.Model;
using SnomActors.Sip.Identity;

namespace SnomActors.Http.Api;

/// <summary>The operator's JSON API under <c>/api</c> (described by <c>/openapi/v1.json</c>).</summary>
public static class ApiEndpoints
{
    private static readonly string[] XmlTypes = ["application/xml", "text/xml"];

    /// <summary>Maps devices, settings, preview, variables and stats onto <paramref name="api"/> (the <c>/api</c> group).</summary>
    public static RouteGroupBuilder MapApi(this RouteGroupBuilder api)
    {
        MapDevices(api.MapGroup("/devices").WithTags("Devices"));
        MapSettings(api.MapGroup("/settings").WithTags("Settings"));
        api.MapGet("/preview/{mac}", Preview).WithTags("Settings").WithName("PreviewSettings")
            .Produces<PreviewDto>().ProducesProblem(400).ProducesProblem(404);
        MapVariables(api.MapGroup("/variables").WithTags("Variables"));
        api.MapGet("/stats", async (StatsService stats, CancellationToken ct) => Results.Ok(await stats.GetAsync(ct)))
            .WithTags("Stats").WithName("GetStats").Produces<StatsDto>();
        api.MapResync();
        api.MapSimulations();
        return api;
    }

    // ---- devices ------------------------------------------------------------------------------

    private static void MapDevices(RouteGroupBuilder g)
    {
        g.MapGet("/", ListDevices).WithName("ListDevices").Produces<DeviceListDto>().ProducesProblem(400);
        g.MapGet("/{mac}", GetDevice).WithName("GetDevice").Produces<DeviceDetailDto>().ProducesProblem(400).ProducesProblem(404);
        g.MapDelete("/{mac}", async (string mac, RegistryAccess registry, CancellationToken ct) =>
            !MacAddress.TryNormalize(mac, out var m) ? Problems.BadMac(mac)
            : await registry.DeleteDeviceAsync(m, ct) ? Results.NoContent()
            : Problems.NotFound($"No device {m}."))
            .WithName("DeleteDevice").Produces(204).ProducesProblem(400).ProducesProblem(404);
        g.MapPost("/{mac}/approve", (string mac, RegistryAccess registry, CancellationToken ct) => SetAdmission(mac, AdmissionState.Allowed, registry, ct))
            .WithName("ApproveDevice").Produces(204).ProducesProblem(400).ProducesProblem(404);
        g.MapPost("/{mac}/deny", (string mac, RegistryAccess registry, CancellationToken ct) => SetAdmission(mac, AdmissionState.Denied, registry, ct))
            .WithName("DenyDevice").Produces(204).ProducesProblem(400).ProducesProblem(404);
        // Download tokens (issue 5): a phone configured by hand needs its token; a leaked one is rotated.
        g.MapGet("/{mac}/token", async (string mac, RegistryAccess registry, CancellationToken ct) =>
                !MacAddress.TryNormalize(mac, out var m) ? Problems.BadMac(mac)
                : await registry.GetDownloadTokenAsync(m, issueIfMissing: false, ct) is { } token ? Results.Ok(new DownloadTokenDto(m, token))
                : Problems.NotFound($"No download token was issued for {m}; POST /api/devices/{m}/token/rotate issues one."))
            .WithName("GetDownloadToken").Produces<DownloadTokenDto>().ProducesProblem(400).ProducesProblem(404);
        g.MapPost("/{mac}/token/rotate", async (string mac, RegistryAccess registry, CancellationToken ct) =>
                !MacAddress.TryNormalize(mac, out var m) ? Problems.BadMac(mac)
                : Results.Ok(new DownloadTokenDto(m, await registry.RotateDownloadTokenAsync(m, ct))))
            .WithName("RotateDownloadToken").Produces<DownloadTokenDto>().ProducesProblem(400);
    }

    private static async Task<IResult> ListDevices(
        RegistryAccess registry, CancellationToken ct,
        string? q = null, string? vendor = null, string? state = null, int offset = 0, int limit = 100)
    {
        DeviceState? parsedState = null;
        if (!string.IsNullOrEmpty(state))
        {
            if (!DeviceStates.TryParse(state, out DeviceState s))
                return Problems.BadRequest($"Unknown state '{Problems.Printable(state)}': expected seen, answered, notified, provisioned, downloaded or failed.");
            parsedState = s;
        }
        if (offset < 0) return Problems.BadRequest("offset must be 0 or more.");
        if (limit is < 1 or > 10_000) return Problems.BadRequest("limit must be between 1 and 10000.");
        var page = await registry.ListDevicesAsync(
            new DeviceQuery(string.IsNullOrWhiteSpace(q) ? null : q.Trim(), string.IsNullOrWhiteSpace(vendor) ? null : vendor.Trim().ToLowerInvariant(),
                parsedState, null, offset, limit), ct);
        return Results.Ok(new DeviceListDto(page.Total, page.Devices.Select(DeviceDto.From).ToList()));
    }

    private static async Task<IResult> GetDevice(string mac, RegistryAccess registry, HttpOptions options, CancellationToken ct)
    {
        if (!MacAddress.TryNormalize(mac, out var m)) return Problems.BadMac(mac);
        var device = await registry.GetDeviceAsync(m, ct);
        if (device is null) return Problems.NotFound($"No device {m}.");
        var downloads = await registry.ListDownloadsAsync(m, options.DownloadsInDeviceDetail, ct);
        var variables = await registry.GetVariablesAsync(m, ct);
        return Results.Ok(DeviceDetailDto.From(device, downloads, variables));
    }

    private static async Task<IResult> SetAdmission(string mac, AdmissionState admission, RegistryAccess registry, CancellationToken ct) =>
        !MacAddress.TryNormalize(mac, out var m) ? Problems.BadMac(mac)
        : await registry.SetAdmissionAsync(m, admission, ct) ? Results.NoContent()
        : Problems.NotFound($"No device {m}.");

    // ---- settings -----------------------------------------------------------------------------

    private static void MapSettings(RouteGroupBuilder g)
    {
        g.MapGet("/", async (RegistryAccess registry, CancellationToken ct) =>
                Results.Ok((await registry.ListSettingsDocumentsAsync(ct)).Select(d => SettingsVersionDto.From(d.Current)).ToList()))
            .WithName("ListSettings").Produces<List<SettingsVersionDto>>();
        // One set of routes per scope, each tagged with its scope (no regex constraint: the slim host lacks it).
        foreach (var scope in new[] { SettingsScope.General, SettingsScope.Vendor, SettingsScope.Model, SettingsScope.Mac })
        {
            var prefix = scope == SettingsScope.General ? "/general" : $"/{scope.ToKey()}/{{key}}";
            var named = char.ToUpperInvariant(scope.ToKey()[0]) + scope.ToKey()[1..];
            var metadata = new SettingsScopeMetadata(scope);
            g.MapPut(prefix, UploadSettings).WithName("UploadSettings" + named).WithMetadata(metadata)
                .Accepts<string>("application/xml", "text/xml")
                .Produces<SettingsUploadedDto>(201).ProducesProblem(400).ProducesProblem(413).ProducesProblem(415);
            g.MapDelete(prefix, DeleteSettings).WithName("DeleteSettings" + named).WithMetadata(metadata)
                .Produces(204).ProducesProblem(400).ProducesProblem(404);
            g.MapGet(prefix + "/versions", ListVersions).WithName("ListSettingsVersions" + named).WithMetadata(metadata)
                .Produces<List<SettingsVersionDto>>().ProducesProblem(400).ProducesProblem(404);
            g.MapGet(prefix + "/versions/{n:int}", GetVersion).WithName("GetSettingsVersion" + named).WithMetadata(metadata)
                .Produces(200, contentType: "application/xml").ProducesProblem(400).ProducesProblem(404);
            g.MapGet(prefix + "/diff", Diff).WithName("DiffSettings" + named).WithMetadata(metadata)
                .Produces<SettingsDiffDto>().ProducesProblem(400).ProducesProblem(404);
        }
    }

    private static async Task<IResult> UploadSettings(
        SettingsTarget? target, HttpRequest request, RegistryAccess registry, SettingsDocumentCache cache, HttpOptions options,
        CancellationToken ct, string? author = null)
    {
        if (target?.Error is { } error) return Problems.BadRequest(error);
        var mediaType = request.ContentType?.Split(';')[0].Trim() ?? string.Empty;
        if (!XmlTypes.Contains(mediaType, StringComparer.OrdinalIgnoreCase) && !mediaType.EndsWith("+xml", StringComparison.OrdinalIgnoreCase))
            return Problems.UnsupportedMediaType("an XML body (Content-Type application/xml or text/xml)");
        var (text, tooLarge) = await ReadBodyAsync(request, options.MaxUploadBytes, ct);
        if (tooLarge) return Problems.TooLarge(options.MaxUploadBytes);

        var problems = XmlWellFormedness.Check(text);
        if (problems.Count > 0)
        {
            return Problems.BadRequest("The document is not well-formed XML.", new Dictionary<string, object?>
            {
                ["errors"] = problems.Select(p => new { line = p.Line, column = p.Column, message = p.Message }).ToList(),
            });
        }
        var t = target!;
        var version = await registry.AddSettingsVersionAsync(t.Scope, t.StoreKey, text,
            string.IsNullOrWhiteSpace(author) ? DefaultAuthor(request.HttpContext) : Problems.Printable(author.Trim()), ct);
        cache.Invalidate();
        var location = t.Scope == SettingsScope.General ? "/api/settings/general" : $"/api/settings/{t.Scope.ToKey()}/{Uri.EscapeDataString(t.Key)}";
        return Results.Created($"{location}/versions/{version.Version}",
            new SettingsUploadedDto(version.Scope.ToKey(), version.Key, version.Version, version.SizeBytes, version.Sha256));
    }

    private static async Task<IResult> DeleteSettings(SettingsTarget? target, RegistryAccess registry, SettingsDocumentCache cache, CancellationToken ct)
    {
        if (target?.Error is { } error) return Problems.BadRequest(error);
        var deleted = await registry.DeleteSettingsAsync(target!.Scope, target.StoreKey, ct);
        cache.Invalidate();
        return deleted ? Results.NoContent() : Problems.NotFound($"No {Describe(target)} settings document.");
    }

    private static async Task<IResult> ListVersions(SettingsTarget? target, RegistryAccess registry, CancellationToken ct)
    {
        if (target?.Error is { } error) return Problems.BadRequest(error);
        var versions = await registry.ListSettingsVersionsAsync(target!.Scope, target.StoreKey, ct);
        return versions.Count == 0
            ? Problems.NotFound($"No {Describe(target)} settings document was ever uploaded.")
            : Results.Ok(versions.Select(SettingsVersionDto.From).ToList());
    }

    private static async Task<IResult> GetVersion(SettingsTarget? target, int n, RegistryAccess registry, CancellationToken ct)
    {
        if (target?.Error is { } error) return Problems.BadRequest(error);
        var version = await registry.GetSettingsAsync(target!.Scope, target.StoreKey, n, ct);
        return version is null
            ? Problems.NotFound($"No version {n} of the {Describe(target)} settings document.")
            : Results.Text(version.Content, "application/xml; charset=utf-8", Encoding.UTF8);
    }

    private static async Task<IResult> Diff(SettingsTarget? target, RegistryAccess registry, CancellationToken ct, int? from = null, int? to = null)
    {
        if (target?.Error is { } error) return Problems.BadRequest(error);
        var t = target!;
        if (to is null)
        {
            var versions = await registry.ListSettingsVersionsAsync(t.Scope, t.StoreKey, ct);
            if (versions.Count == 0) return Problems.NotFound($"No {Describe(t)} settings document was ever uploaded.");
            to = versions.Max(v => v.Version);
        }
        from ??= Math.Max(1, to.Value - 1);
        var a = await registry.GetSettingsAsync(t.Scope, t.StoreKey, from.Value, ct);
        var b = await registry.GetSettingsAsync(t.Scope, t.StoreKey, to.Value, ct);
        if (a is null || b is null)
            return Problems.NotFound($"No version {(a is null ? from : to)} of the {Describe(t)} settings document.");
        var lines = LineDiff.Compute(a.Content, b.Content).Select(l => new DiffLineDto(l.Op, l.Text)).ToList();
        return Results.Ok(new SettingsDiffDto(from.Value, to.Value, lines));
    }

    private static async Task<IResult> Preview(
        string mac, RegistryAccess registry, SettingsDocumentCache cache, CancellationToken ct, string? model = null, string? vendor = null)
    {
        if (!MacAddress.TryNormalize(mac, out var m)) return Problems.BadMac(mac);
        var device = await registry.GetDeviceAsync(m, ct);
        // The operator may preview a phone before it ever booted, as a given model and vendor.
        model = string.IsNullOrWhiteSpace(model) ? device?.Model : model.Trim();
        vendor = string.IsNullOrWhiteSpace(vendor) ? device?.Vendor : vendor.Trim();
        var resolution = await cache.ResolveAsync(m, model, vendor, ct);
        if (resolution is null) return Problems.NotFound($"No settings document applies to {m}.");
        var variables = await registry.GetVariablesAsync(m, ct);
        var fields = new DeviceTemplateFields(m, device?.LastIp, vendor, model, device?.Firmware, device?.UserAgent);
        var content = SettingsTemplateRenderer.Render(resolution.Document.Content, TemplateValues.For(fields, variables));
        var doc = resolution.Document;
        return Results.Ok(new PreviewDto(m, new SettingsSourceDto(doc.Scope.ToKey(), doc.Key, doc.Version), content));
    }

    // ---- variables ----------------------------------------------------------------------------

    private static void MapVariables(RouteGroupBuilder g)
    {
        g.MapPost("/import", ImportVariables).WithName("ImportVariables")
            .Accepts<string>("text/csv").Produces<ImportReportDto>().ProducesProblem(400).ProducesProblem(413);
        g.MapGet("/export", async (RegistryAccess registry, CancellationToken ct) =>
            {
                var all = await registry.ExportVariablesAsync(ct);
                var csv = VariablesCsv.Export(all.Select(v => new CsvDeviceVariables(v.Mac, v.Values)));
                return Results.File(Encoding.UTF8.GetBytes(csv), "text/csv; charset=utf-8", "variables.csv");
            })
            .WithName("ExportVariables").Produces(200, contentType: "text/csv");
        g.MapGet("/{mac}", async (string mac, RegistryAccess registry, CancellationToken ct) =>
                !MacAddress.TryNormalize(mac, out var m) ? Problems.BadMac(mac) : Results.Ok(await registry.GetVariablesAsync(m, ct)))
            .WithName("GetVariables").Produces<Dictionary<string, string>>().ProducesProblem(400);
        g.MapPut("/{mac}", PutVariables).WithName("PutVariables").Produces(204).ProducesProblem(400);
    }

    private static async Task<IResult> PutVariables(string mac, [FromBody] Dictionary<string, string?>? values, RegistryAccess registry, CancellationToken ct)
    {
        if (!MacAddress.TryNormalize(mac, out var m)) return Problems.BadMac(mac);
        if (values is null) return Problems.BadRequest("Expected a JSON object of variable names to values.");
        var clean = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            if (!SettingsTemplateRenderer.IsName(name) || name.Equals("mac", StringComparison.OrdinalIgnoreCase))
                return Problems.BadRequest($"'{Problems.Printable(name)}' is not a variable name (letters, digits, '_', '-', '.', starting with a letter or '_'; not 'mac').");
            if (value is null) continue;
            if (value.Length > VariablesCsv.MaxValueLength) return Problems.BadRequest($"The value of '{name}' is longer than {VariablesCsv.MaxValueLength} characters.");
            clean[name] = value;
        }
        await registry.ReplaceVariablesAsync(m, clean, ct);
        return Results.NoContent();
    }

    private static async Task<IResult> ImportVariables(HttpRequest request, RegistryAccess registry, HttpOptions options, CancellationToken ct, string? mode = null)
    {
        VariableImportMode importMode;
        if (string.IsNullOrEmpty(mode) || mode.Equals("merge", StringComparison.OrdinalIgnoreCase)) importMode = VariableImportMode.Merge;
        else if (mode.Equals("replace", StringComparison.OrdinalIgnoreCase)) importMode = VariableImportMode.Replace;
        else return Problems.BadRequest("mode must be 'merge' (default: imported names are set, others kept) or 'replace'.");

        var (text, tooLarge) = await ReadBodyAsync(request, options.MaxUploadBytes, ct);
        if (tooLarge) return Problems.TooLarge(options.MaxUploadBytes);
        var result = VariablesCsv.Parse(text);
        if (result.HeaderError is not null) return Problems.BadRequest(result.HeaderError);
        if (result.Accepted.Count > 0)
        {
            // An empty cell means "no value here": in merge mode it leaves what the phone had.
            var rows = result.Accepted
                .Select(a => new DeviceVariables(a.Mac, a.Variables.Where(kv => kv.Value.Length > 0).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal)))
                .ToList();
            await registry.ImportVariablesAsync(rows, importMode, ct);
        }
        return Results.Ok(new ImportReportDto(result.AcceptedCount, result.RejectedCount,
            result.Rows.Select(r => new ImportRowDto(r.Line, r.Mac, r.Status, r.Error)).ToList()));
    }

    // ---- helpers ------------------------------------------------------------------------------

    /// <summary>
    /// "Who" of a version uploaded without <c>?author=</c>: the principal the admin check
    /// authenticated (<c>admin (Bearer)</c>, <c>admin (Basic)</c>; <c>anonymous</c> with admin auth
    /// off) and the client address, so the history never has an unnamed change.
    /// </summary>
    internal static string DefaultAuthor(HttpContext context)
    {
        var identity = context.User.Identity;
        var who = identity is { IsAuthenticated: true, Name: { Length: > 0 } name }
            ? $"{name} ({identity.AuthenticationType})"
            : "anonymous";
        var ip = SettingsDownloadEndpoints.SourceIp(context);
        return ip is null ? who : $"{who} from {ip}";
    }

    private static string Describe(SettingsTarget t) => t.Scope == SettingsScope.General ? "general" : $"{t.Scope.ToKey()} '{t.Key}'";

    /// <summary>Reads the body as UTF-8 text (BOM dropped), refusing more than <paramref name="limit"/> bytes.</summary>
    private static async Task<(string Text, bool TooLarge)> ReadBodyAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (request.ContentLength > limit) return (string.Empty, true);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit) return (string.Empty, true);
            buffer.Write(chunk, 0, read);
        }
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
        return (Encoding.UTF8.GetString(bytes), false);
    }
}
