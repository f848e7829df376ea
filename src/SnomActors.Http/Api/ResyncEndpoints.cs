using System.Net;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SnomActors.Http.Hosting;
using SnomActors.Registry.Model;
using SnomActors.Server.Actors;
using SnomActors.Server.Config;
using SnomActors.Sip.Identity;

namespace SnomActors.Http.Api;

/// <summary>What a resync request queued (<c>202</c> of both resync endpoints).</summary>
/// <param name="Queued">Check-sync NOTIFYs this request added.</param>
/// <param name="QueueLength">NOTIFYs waiting to be sent, this request's included (they go out paced).</param>
/// <param name="Skipped">Devices left out (no known address, or not admitted); always 0 for a single device.</param>
public sealed record ResyncQueuedDto(int Queued, int QueueLength, int Skipped);

/// <summary>One finished check-sync.</summary>
/// <param name="Mac">The phone (12 lower-case hex digits), when known.</param>
/// <param name="Target">The address the NOTIFY went to (<c>ip:port</c>).</param>
/// <param name="Status">The phone's final SIP status; null when it never answered (Timer F).</param>
/// <param name="Detail">e.g. <c>200 OK</c>, or why it failed.</param>
/// <param name="At">When it finished.</param>
public sealed record ResyncOutcomeDto(string? Mac, string Target, int? Status, string Detail, DateTimeOffset At);

/// <summary><c>GET /api/resync</c>: the pacing queue and the most recent outcomes, newest first.</summary>
public sealed record ResyncStatusDto(int Queued, int InFlight, IReadOnlyList<ResyncOutcomeDto> Recent);

/// <summary>
/// Push re-provisioning (issue 6 item 3) on the operator API: a check-sync NOTIFY to the address a
/// phone last used, one phone or all of them. The HTTP side only resolves addresses from the registry;
/// sending and pacing are the <see cref="ResyncCoordinator"/>'s (found under <see cref="ResyncKey"/>),
/// so a resync of every phone cannot turn into a download storm.
/// </summary>
public static class ResyncEndpoints
{
    /// <summary>How long a request waits for the coordinator to be registered (a process without the SIP side never registers it).</summary>
    private static readonly TimeSpan CoordinatorWait = TimeSpan.FromSeconds(2);

    /// <summary>Maps <c>POST /devices/{mac}/resync</c>, <c>POST /resync</c> and <c>GET /resync</c> onto <paramref name="api"/> (the <c>/api</c> group).</summary>
    public static RouteGroupBuilder MapResync(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapPost("/devices/{mac}/resync", ResyncDevice).WithTags("Resync").WithName("ResyncDevice")
            .Produces<ResyncQueuedDto>(StatusCodes.Status202Accepted)
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(503);
        api.MapPost("/resync", ResyncAll).WithTags("Resync").WithName("ResyncAll")
            .Produces<ResyncQueuedDto>(StatusCodes.Status202Accepted).ProducesProblem(400).ProducesProblem(503);
        api.MapGet("/resync", GetStatus).WithTags("Resync").WithName("GetResyncStatus")
            .Produces<ResyncStatusDto>().ProducesProblem(503);
        return api;
    }

    private static async Task<IResult> ResyncDevice(
        string mac, RegistryAccess registry, IRequiredActor<ResyncKey> coordinator, HttpOptions options, CancellationToken ct, string? reboot = null)
    {
        if (!MacAddress.TryNormalize(mac, out var m)) return Problems.BadMac(mac);
        if (!TryParseFlag(reboot, out var rebootFlag)) return Problems.BadRequest("reboot must be true or false.");
        var device = await registry.GetDeviceAsync(m, ct);
        if (device is null) return Problems.NotFound($"No device {m}.");
        if (TargetOf(device) is not { } target)
            return Problems.NotFound($"Device {m} has no known address yet: it must send a SUBSCRIBE first.");
        if (device.Admission != AdmissionState.Allowed)
            return Problems.Conflict($"Device {m} is {device.Admission.ToKey()}: approve it before pushing settings to it.");
        return await EnqueueAsync([target], rebootFlag, skipped: 0, coordinator, options, ct);
    }

    private static async Task<IResult> ResyncAll(
        RegistryAccess registry, IRequiredActor<ResyncKey> coordinator, HttpOptions options, CancellationToken ct,
        string? all = null, string? reboot = null)
    {
        // An explicit all=true: a bare POST must not re-provision a whole site by accident.
        if (!TryParseFlag(all, out var allFlag) || !allFlag)
            return Problems.BadRequest("POST /api/resync needs all=true (every admitted phone); for one phone use POST /api/devices/{mac}/resync.");
        if (!TryParseFlag(reboot, out var rebootFlag)) return Problems.BadRequest("reboot must be true or false.");

        var targets = new List<ResyncCoordinator.Target>();
        var skipped = 0;
        const int Page = 10_000;
        for (var offset = 0; ; offset += Page)
        {
            var page = await registry.ListDevicesAsync(new DeviceQuery(Offset: offset, Limit: Page), ct);
            foreach (var device in page.Devices)
            {
                if (device.Admission == AdmissionState.Allowed && TargetOf(device) is { } target) targets.Add(target);
                else skipped++;
            }
            if (page.Devices.Count < Page || offset + Page >= page.Total) break;
        }
        return await EnqueueAsync(targets, rebootFlag, skipped, coordinator, options, ct);
    }

    private static async Task<IResult> GetStatus(IRequiredActor<ResyncKey> coordinator, HttpOptions options, CancellationToken ct)
    {
        if (await CoordinatorAsync(coordinator, ct) is not { } actor) return NotRunning();
        var status = await actor.Ask<ResyncCoordinator.Status>(ResyncCoordinator.GetStatus.Instance, options.RegistryTimeout, ct);
        return Results.Ok(new ResyncStatusDto(status.Queued, status.InFlight,
            status.Recent.Select(r => new ResyncOutcomeDto(r.Mac, r.Endpoint.ToString(), r.StatusCode, r.Detail, r.At)).ToList()));
    }

    private static async Task<IResult> EnqueueAsync(
        IReadOnlyList<ResyncCoordinator.Target> targets, bool reboot, int skipped, IRequiredActor<ResyncKey> coordinator, HttpOptions options, CancellationToken ct)
    {
        if (await CoordinatorAsync(coordinator, ct) is not { } actor) return NotRunning();
        int queued, queueLength;
        if (targets.Count == 0)
        {
            // Nothing to add (no admitted phone with an address): still report the queue as it is.
            var status = await actor.Ask<ResyncCoordinator.Status>(ResyncCoordinator.GetStatus.Instance, options.RegistryTimeout, ct);
            (queued, queueLength) = (0, status.Queued);
        }
        else
        {
            var enqueued = await actor.Ask<ResyncCoordinator.Enqueued>(new ResyncCoordinator.Enqueue(targets, reboot), options.RegistryTimeout, ct);
            (queued, queueLength) = (enqueued.Count, enqueued.QueueLength);
        }
        return Results.Accepted("/api/resync", new ResyncQueuedDto(queued, queueLength, skipped));
    }

    private static async Task<IActorRef?> CoordinatorAsync(IRequiredActor<ResyncKey> coordinator, CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(CoordinatorWait);
        try
        {
            return await coordinator.GetAsync(wait.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }

    private static IResult NotRunning() =>
        Problems.Overloaded("Push re-provisioning is not available: the SIP side is not running in this process.");

    /// <summary>Where the phone last sent from (its SUBSCRIBE's source): where a check-sync reaches it.</summary>
    private static ResyncCoordinator.Target? TargetOf(DeviceRecord device) =>
        device.LastIp is { } ip && device.LastPort is { } port && port is > 0 and <= 65535 && IPAddress.TryParse(ip, out var address)
            ? new ResyncCoordinator.Target(device.Mac, new IPEndPoint(address, port))
            : null;

    private static bool TryParseFlag(string? text, out bool value)
    {
        value = false;
        if (string.IsNullOrEmpty(text)) return true;
        if (bool.TryParse(text, out value)) return true;
        if (text == "1") { value = true; return true; }
        return text == "0";
    }
}
