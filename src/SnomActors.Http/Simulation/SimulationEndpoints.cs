using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SnomActors.Http.Api;
using SnomActors.Http.Hosting;
using SnomActors.Simulator.Profiles;
using SnomActors.Simulator.Reporting;
using SnomActors.Sip.Identity;

namespace SnomActors.Http.Simulation;

/// <summary>A simulated boot, running or over (<c>GET /api/simulations/current</c>).</summary>
/// <param name="Id">Identifies the boot (start time and a sequence number).</param>
/// <param name="State"><c>running</c>, <c>stopping</c>, <c>completed</c>, <c>stopped</c> (by the operator or a daemon stop) or <c>failed</c>.</param>
/// <param name="Phones">Phones in the boot.</param>
/// <param name="Booted">Phones that sent their first SUBSCRIBE.</param>
/// <param name="Answered">Phones that got the 200.</param>
/// <param name="Notified">Phones that got the NOTIFY.</param>
/// <param name="Downloaded">Phones that downloaded their settings.</param>
/// <param name="Provisioned">Phones done: NOTIFY answered and (unless <paramref name="Download"/> is false) settings downloaded.</param>
/// <param name="Finished">Phones with an outcome, provisioned or not.</param>
/// <param name="Rate">Boots per second actually used.</param>
/// <param name="RateNote">Why the rate is lower than asked, when it is.</param>
/// <param name="Target">The SIP endpoint the phones sent to.</param>
/// <param name="Download">Whether the phones fetch their settings.</param>
/// <param name="StartedAt">When the boot started.</param>
/// <param name="FinishedAt">When it ended; null while running.</param>
/// <param name="Failure">Why it failed, when it did.</param>
/// <param name="Summary">The report, once over.</param>
public sealed record SimulationDto(
    string Id, string State, int Phones, int Booted, int Answered, int Notified, int Downloaded, int Provisioned, int Finished,
    double Rate, string? RateNote, string Target, bool Download, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt,
    string? Failure, SimulationSummaryDto? Summary);

/// <summary>How a finished boot went.</summary>
/// <param name="Phones">Phones in the boot.</param>
/// <param name="Provisioned">Phones provisioned.</param>
/// <param name="Outcomes">Phones per outcome (<c>provisioned</c>, <c>no-answer</c>, <c>rejected(503)</c>, <c>unfinished(…)</c> …).</param>
/// <param name="ByVendor">Phones and provisioned phones per vendor.</param>
/// <param name="SubscribeToAnswer">First SUBSCRIBE → 200, milliseconds.</param>
/// <param name="SubscribeToNotify">First SUBSCRIBE → NOTIFY, milliseconds.</param>
/// <param name="BootToDownloaded">Boot → settings downloaded, milliseconds.</param>
/// <param name="DurationSeconds">First boot to last outcome.</param>
public sealed record SimulationSummaryDto(
    int Phones, int Provisioned, IReadOnlyDictionary<string, int> Outcomes, IReadOnlyDictionary<string, VendorCount> ByVendor,
    LatencySummary SubscribeToAnswer, LatencySummary SubscribeToNotify, LatencySummary BootToDownloaded, double DurationSeconds);

/// <summary>
/// <c>POST /api/simulations</c> (boot simulated phones against this daemon), <c>GET /api/simulations/current</c>
/// (its progress) and <c>DELETE /api/simulations/current</c> (stop it): the "boot them (simulated)" step
/// an operator takes from the page after importing phones' accounts.
/// </summary>
public static class SimulationEndpoints
{
    /// <summary>Maps the endpoints onto <paramref name="api"/> (the <c>/api</c> group).</summary>
    public static RouteGroupBuilder MapSimulations(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var g = api.MapGroup("/simulations").WithTags("Simulated boot");
        g.MapPost("/", Start).WithName("StartSimulatedBoot")
            .Accepts<JsonElement>("application/json")
            .Produces<SimulationDto>(StatusCodes.Status202Accepted)
            .ProducesProblem(400).ProducesProblem(403).ProducesProblem(409).ProducesProblem(503);
        g.MapGet("/current", async (ISimulatedBoot boot, CancellationToken ct) =>
                await boot.GetCurrentAsync(ct) is { } current ? Results.Ok(current) : Problems.NotFound("No simulated boot has run since the daemon started."))
            .WithName("GetSimulatedBoot").Produces<SimulationDto>().ProducesProblem(404);
        g.MapDelete("/current", async (ISimulatedBoot boot, CancellationToken ct) =>
                boot.Stop() ? Results.Accepted("/api/simulations/current", await boot.GetCurrentAsync(ct))
                : Problems.NotFound("No simulated boot is running."))
            .WithName("StopSimulatedBoot").Produces<SimulationDto>(StatusCodes.Status202Accepted).ProducesProblem(404);
        return api;
    }

    private static IResult Invalid(string field, string detail) =>
        Problems.BadRequest(detail, new Dictionary<string, object?> { ["field"] = field });

    private static async Task<IResult> Start(HttpRequest request, ISimulatedBoot boot, SimulatedBootOptions options, RegistryAccess registry, CancellationToken ct)
    {
        if (!options.Enabled)
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                detail: "Simulated boot is switched off on this daemon (SnomActors:Http:SimulatedBoot=false).");

        JsonElement body = default;
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
                return Problems.UnsupportedMediaType("application/json");
            try
            {
                using var doc = await JsonDocument.ParseAsync(request.Body, default, ct);
                body = doc.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                return Problems.BadRequest($"The body is not valid JSON: {ex.Message}");
            }
            if (body.ValueKind != JsonValueKind.Object) return Problems.BadRequest("The body must be a JSON object such as {\"rate\": 50}.");
        }

        var rate = SimulatedBootOptions.DefaultRate;
        if (TryProperty(body, "rate", out var rateValue))
        {
            if (rateValue.ValueKind != JsonValueKind.Number || !rateValue.TryGetDouble(out rate) || rate is < 1 or > SimulatedBootOptions.MaxRate or double.NaN)
                return Invalid("rate", $"rate must be a number of phones per second from 1 to {SimulatedBootOptions.MaxRate}.");
        }
        var mix = VendorMix.Parse("snom");
        if (TryProperty(body, "vendor", out var vendorValue))
        {
            if (vendorValue.ValueKind != JsonValueKind.String)
                return Invalid("vendor", "vendor must be a string such as \"snom\" or \"snom=2,yealink=1\" (the vendors of MACs with an OUI the simulator does not know).");
            if (!VendorMix.TryParse(vendorValue.GetString(), out mix, out var error))
                return Invalid("vendor", $"vendor: {error}.");
        }
        var download = true;
        if (TryProperty(body, "download", out var downloadValue))
        {
            if (downloadValue.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                return Invalid("download", "download must be true or false.");
            download = downloadValue.GetBoolean();
        }

        var macs = new List<string>();
        if (TryProperty(body, "macs", out var macsValue))
        {
            if (macsValue.ValueKind != JsonValueKind.Array) return Invalid("macs", "macs must be an array of MAC addresses.");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var i = 0;
            foreach (var item in macsValue.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String || !MacAddress.TryNormalize(item.GetString(), out var mac))
                    return Invalid($"macs[{i}]", $"macs[{i}]: '{Problems.Printable(item.ValueKind == JsonValueKind.String ? item.GetString() : item.GetRawText())}' is not a MAC address: expected 12 hex digits, optionally separated by ':', '-' or '.'.");
                if (seen.Add(mac)) macs.Add(mac);
                if (macs.Count > SimulatedBootOptions.MaxPhones)
                    return Invalid("macs", $"At most {SimulatedBootOptions.MaxPhones} phones per simulated boot.");
                i++;
            }
            if (macs.Count == 0) return Invalid("macs", "macs is empty: list at least one MAC, or leave macs out to boot every imported phone.");
        }
        else
        {
            // The phones whose accounts the operator imported (Bulk): the ones that have settings to get.
            foreach (var row in await registry.ExportVariablesAsync(ct)) macs.Add(row.Mac);
            if (macs.Count == 0)
                return Invalid("macs", "No phone to boot: import a CSV of phones' variables first (Bulk), or list the MACs in macs.");
            if (macs.Count > SimulatedBootOptions.MaxPhones)
                return Invalid("macs", $"{macs.Count} phones are imported; at most {SimulatedBootOptions.MaxPhones} boot at once: list the ones to boot in macs.");
        }

        var started = await boot.StartAsync(new SimulatedBootRequest(macs, rate, mix, download), ct);
        return started.Outcome switch
        {
            SimulatedBootStartOutcome.Started => Results.Accepted("/api/simulations/current", started.Status),
            SimulatedBootStartOutcome.AlreadyRunning => Problems.Conflict(started.Detail!),
            _ => Problems.Overloaded(started.Detail!),
        };
    }

    private static bool TryProperty(JsonElement body, string name, out JsonElement value)
    {
        value = default;
        if (body.ValueKind != JsonValueKind.Object) return false;
        foreach (var property in body.EnumerateObject())
        {
            if (!property.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) continue;
            if (property.Value.ValueKind == JsonValueKind.Null) return false;
            value = property.Value;
            return true;
        }
        return false;
    }
}
