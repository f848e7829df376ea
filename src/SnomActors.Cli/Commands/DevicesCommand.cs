using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SnomActors.Cli.Api;
using SnomActors.Sip.Identity;

namespace SnomActors.Cli.Commands;

/// <summary>
/// <c>snomactors devices [--json] [--state S] [--vendor V] [--search Q]</c>: the phones a running daemon
/// knows, as a table (MAC, vendor, model, firmware, IP, state, time of the last step) or, with
/// <c>--json</c>, as the API's own <c>{ total, items }</c> document.
/// </summary>
public static class DevicesCommand
{
    /// <summary>The states <c>--state</c> accepts (those of <c>GET /api/devices?state=</c>).</summary>
    public static readonly string[] States = ["seen", "answered", "notified", "provisioned", "downloaded", "failed"];

    /// <summary>Devices fetched per request: large pages, but far below the API's 10,000 cap.</summary>
    internal const int PageSize = 1000;

    /// <summary>Which devices to list.</summary>
    /// <param name="State">One of <see cref="States"/>, or null for all.</param>
    /// <param name="Vendor">Vendor key (snom, yealink …), or null.</param>
    /// <param name="Search">Substring of MAC, vendor, model, firmware, IP or User-Agent, or null.</param>
    public sealed record Filter(string? State, string? Vendor, string? Search);

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var server = DaemonOptions.Server();
        var data = DaemonOptions.Data();
        var token = DaemonOptions.Token();
        var json = new Option<bool>("--json") { Description = "Print the API's JSON ({ total, items }) instead of a table." };
        var state = new Option<string?>("--state") { Description = $"Only devices in this state ({string.Join(", ", States)}).", HelpName = "STATE" };
        var vendor = new Option<string?>("--vendor") { Description = "Only this vendor (snom, yealink, grandstream …).", HelpName = "VENDOR" };
        var search = new Option<string?>("--search") { Description = "Only devices whose MAC, vendor, model, firmware, IP or User-Agent contains this text.", HelpName = "TEXT" };
        var command = new Command("devices", "List the phones the daemon knows: MAC, vendor, model, firmware, IP, state and when their last step happened.")
        {
            server, data, token, json, state, vendor, search,
        };
        command.SetAction((result, cancellation) =>
        {
            var output = result.InvocationConfiguration.Output;
            var filter = new Filter(result.GetValue(state)?.Trim().ToLowerInvariant(), result.GetValue(vendor), result.GetValue(search));
            var asJson = result.GetValue(json);
            // Checked here rather than by the parser so that a bad value exits 2 like every other usage error of the admin commands.
            if (filter.State is { } s && !States.Contains(s))
            {
                return Task.FromResult(DaemonApiClient.Report("devices", new DaemonApiException("invalid --state",
                    $"'{s}' is not a state: expected one of {string.Join(", ", States)}", null, usage: true), result.InvocationConfiguration.Error));
            }
            return DaemonApiClient.RunAsync("devices", result.GetValue(server), DaemonOptions.ResolveData(result.GetValue(data)), result.GetValue(token),
                result.InvocationConfiguration.Error,
                client => WriteAsync(client, filter, asJson, output, cancellation));
        });
        return command;
    }

    /// <summary>Fetches every matching device (page by page) and writes the table or the JSON; returns the exit code.</summary>
    public static async Task<int> WriteAsync(DaemonApiClient client, Filter filter, bool json, TextWriter output, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(output);
        var (total, items) = await FetchAllAsync(client, filter, cancellation);
        if (json)
        {
            var document = new JsonObject
            {
                ["total"] = total,
                ["items"] = new JsonArray(items.Select(i => JsonNode.Parse(i.GetRawText())).ToArray()),
            };
            await output.WriteLineAsync(document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        if (items.Count == 0)
        {
            await output.WriteLineAsync(filter is { State: null, Vendor: null, Search: null }
                ? "No devices yet: phones appear as soon as they send their PnP SUBSCRIBE."
                : "No devices match.");
            return 0;
        }
        await output.WriteAsync(TextTable.Render(
            ["MAC", "VENDOR", "MODEL", "FIRMWARE", "IP", "STATE", "LAST STEP"],
            items.Select(Row)));
        await output.WriteLineAsync(items.Count == 1 ? "1 device" : $"{items.Count} devices");
        return 0;
    }

    private static async Task<(int Total, List<JsonElement> Items)> FetchAllAsync(DaemonApiClient client, Filter filter, CancellationToken cancellation)
    {
        var items = new List<JsonElement>();
        var total = 0;
        for (var offset = 0; ; offset += PageSize)
        {
            var page = await client.GetJsonAsync(Query(filter, offset), cancellation);
            total = TextTable.Int(page, "total") ?? 0;
            var batch = page.ValueKind == JsonValueKind.Object && page.TryGetProperty("items", out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray().ToList() : [];
            items.AddRange(batch);
            // Stop on a short page too: a device removed meanwhile must not make us loop.
            if (batch.Count < PageSize || items.Count >= total) return (total, items);
        }
    }

    internal static string Query(Filter filter, int offset)
    {
        var sb = new StringBuilder("api/devices?");
        if (!string.IsNullOrWhiteSpace(filter.Search)) sb.Append("q=").Append(Uri.EscapeDataString(filter.Search.Trim())).Append('&');
        if (!string.IsNullOrWhiteSpace(filter.Vendor)) sb.Append("vendor=").Append(Uri.EscapeDataString(filter.Vendor.Trim())).Append('&');
        if (!string.IsNullOrWhiteSpace(filter.State)) sb.Append("state=").Append(Uri.EscapeDataString(filter.State)).Append('&');
        if (offset > 0) sb.Append("offset=").Append(offset).Append('&');
        return sb.Append("limit=").Append(PageSize).ToString();
    }

    private static IReadOnlyList<string?> Row(JsonElement device)
    {
        var mac = TextTable.Text(device, "mac");
        return
        [
            mac is not null && MacAddress.TryNormalize(mac, out var normal) ? MacAddress.ToColonForm(normal) : mac,
            TextTable.Text(device, "vendor"),
            TextTable.Text(device, "model"),
            TextTable.Text(device, "firmware"),
            TextTable.Text(device, "lastIp"),
            TextTable.Text(device, "state"),
            LastStep(device),
        ];
    }

    /// <summary>The latest of the step timestamps (the attempt's most recent progress).</summary>
    private static string? LastStep(JsonElement device)
    {
        if (device.ValueKind != JsonValueKind.Object || !device.TryGetProperty("steps", out var steps) || steps.ValueKind != JsonValueKind.Object) return null;
        DateTimeOffset? latest = null;
        JsonElement latestElement = default;
        foreach (var step in steps.EnumerateObject())
        {
            if (step.Value.ValueKind == JsonValueKind.String && step.Value.TryGetDateTimeOffset(out var at) && (latest is null || at > latest))
            {
                latest = at;
                latestElement = step.Value;
            }
        }
        return latest is null ? null : TextTable.Time(latestElement);
    }
}
