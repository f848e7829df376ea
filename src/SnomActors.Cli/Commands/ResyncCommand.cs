using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SnomActors.Cli.Api;
using SnomActors.Sip.Identity;

namespace SnomActors.Cli.Commands;

/// <summary>
/// <c>snomactors resync MAC [--reboot]</c> or <c>snomactors resync --all [--reboot]</c>: push
/// re-provisioning. The daemon sends the phone (every admitted phone for <c>--all</c>, paced) a
/// check-sync NOTIFY at the address it last used, and the phone fetches its settings again. With
/// <c>--wait</c> the command waits for the phones' answers and exits 1 if any did not accept.
/// </summary>
public static class ResyncCommand
{
    /// <summary>How long <c>--wait</c> waits without progress: longer than Timer F (32 s), after which the daemon has an outcome for every NOTIFY.</summary>
    public static readonly TimeSpan WaitWithoutProgress = TimeSpan.FromSeconds(40);

    /// <summary>What to resync.</summary>
    /// <param name="Mac">One phone (normalised), or null with <paramref name="All"/>.</param>
    /// <param name="All">Every admitted phone with a known address.</param>
    /// <param name="Reboot"><c>reboot=true</c> in the Event header: the phone restarts instead of only re-reading its settings.</param>
    /// <param name="Wait">Wait for the outcome(s).</param>
    public sealed record Request(string? Mac, bool All, bool Reboot, bool Wait);

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var server = DaemonOptions.Server();
        var data = DaemonOptions.Data();
        var token = DaemonOptions.Token();
        var mac = new Argument<string?>("MAC") { Description = "The phone to resync.", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Resync every admitted phone the daemon knows an address for (paced, so their downloads do not form a storm)." };
        var reboot = new Option<bool>("--reboot") { Description = "Ask the phone to reboot (Event: check-sync;reboot=true) rather than only re-read its settings." };
        var wait = new Option<bool>("--wait") { Description = "Wait for the phones' answers and print them; exit 1 if any did not accept." };
        var command = new Command("resync", "Push re-provisioning: send a phone (MAC) or every phone (--all) a check-sync NOTIFY so it fetches its settings again.")
        {
            server, data, token, mac, all, reboot, wait,
        };
        command.SetAction((result, cancellation) =>
        {
            var error = result.InvocationConfiguration.Error;
            Request request;
            try
            {
                request = Validate(result.GetValue(mac), result.GetValue(all), result.GetValue(reboot), result.GetValue(wait));
            }
            catch (DaemonApiException ex)
            {
                return Task.FromResult(DaemonApiClient.Report("resync", ex, error));
            }
            return DaemonApiClient.RunAsync("resync", result.GetValue(server), DaemonOptions.ResolveData(result.GetValue(data)), result.GetValue(token), error,
                client => RunAsync(client, request, result.InvocationConfiguration.Output, error, TimeProvider.System, cancellation));
        });
        return command;
    }

    /// <summary>Exactly one of a MAC and <c>--all</c>; the MAC well-formed. Throws a usage error otherwise.</summary>
    public static Request Validate(string? mac, bool all, bool reboot, bool wait)
    {
        if (mac is not null && all)
            throw new DaemonApiException("conflicting arguments", "give either a MAC or --all, not both", null, usage: true);
        if (mac is null && !all)
            throw new DaemonApiException("nothing to resync", "give the MAC of a phone, or --all for every phone", null, usage: true);
        if (mac is null) return new Request(null, true, reboot, wait);
        if (!MacAddress.TryNormalize(mac.Trim(), out var normal))
            throw new DaemonApiException("invalid MAC", $"'{mac}' is not a MAC address: expected 12 hex digits, optionally separated by ':', '-' or '.'", null, usage: true);
        return new Request(normal, false, reboot, wait);
    }

    /// <summary>Queues the check-sync(s), prints what was queued and, with <see cref="Request.Wait"/>, the outcomes; returns the exit code.</summary>
    public static async Task<int> RunAsync(DaemonApiClient client, Request request, TextWriter output, TextWriter error, TimeProvider time, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(time);
        var rebootText = request.Reboot ? "true" : "false";
        // Outcomes newer than the newest one now are ours (the daemon's clock on both sides).
        var since = request.Wait ? NewestOutcome(await client.GetJsonAsync("api/resync", cancellation)) : null;

        var path = request.All
            ? $"api/resync?all=true&reboot={rebootText}"
            : $"api/devices/{request.Mac}/resync?reboot={rebootText}";
        var answer = await client.PostAsync(path, null, cancellation)
            ?? throw new DaemonApiException(202, "Unexpected answer", $"POST {path} returned no body");
        var queued = Int(answer, "queued");
        var queueLength = Int(answer, "queueLength");
        var skipped = Int(answer, "skipped");
        if (request.All)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Queued check-sync (reboot={rebootText}) for {queued} phone{(queued == 1 ? "" : "s")}; {queueLength} waiting, sent paced."));
            if (skipped > 0)
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Skipped {skipped} device{(skipped == 1 ? "" : "s")} without a known address or not admitted."));
        }
        else
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Queued check-sync (reboot={rebootText}) for {MacAddress.ToColonForm(request.Mac!)}; {queueLength} waiting."));
        }
        if (!request.Wait || queued == 0) return 0;
        return await WaitAsync(client, request, since, queued, output, error, time, cancellation);
    }

    private static async Task<int> WaitAsync(DaemonApiClient client, Request request, DateTimeOffset? since, int expected,
        TextWriter output, TextWriter error, TimeProvider time, CancellationToken cancellation)
    {
        var lastProgress = time.GetUtcNow();
        var seen = -1;
        while (true)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellation);
            var status = await client.GetJsonAsync("api/resync", cancellation);
            var mine = Outcomes(status)
                .Where(o => since is null || o.At > since)
                .Where(o => request.All || o.Mac == request.Mac)
                .ToList();
            var pending = Int(status, "queued") + Int(status, "inFlight");
            var done = request.All ? pending == 0 && mine.Count > 0 || mine.Count >= expected : mine.Count > 0;
            if (done)
            {
                if (!request.All) mine = mine.Take(1).ToList();
                await output.WriteAsync(TextTable.Render(["MAC", "TARGET", "STATUS", "DETAIL", "AT"],
                    mine.OrderBy(o => o.At).Select(o => (IReadOnlyList<string?>)[
                        o.Mac is { } m ? MacAddress.ToColonForm(m) : null, o.Target,
                        o.Status?.ToString(CultureInfo.InvariantCulture), o.Detail, TextTable.Time(o.AtElement)])));
                var failed = mine.Count(o => o.Status is not (>= 200 and < 300));
                if (failed == 0) return 0;
                await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"snomactors resync: {failed} of {mine.Count} phone{(mine.Count == 1 ? "" : "s")} did not accept the check-sync"));
                return DaemonApiClient.ExitApiError;
            }
            if (mine.Count != seen)
            {
                seen = mine.Count;
                lastProgress = time.GetUtcNow();
            }
            else if (time.GetUtcNow() - lastProgress > WaitWithoutProgress)
            {
                throw new DaemonApiException(504, "no outcome",
                    $"{mine.Count} of {expected} check-sync(s) finished; nothing changed for {WaitWithoutProgress.TotalSeconds:0} s (GET /api/resync shows the queue)");
            }
        }
    }

    private sealed record Outcome(string? Mac, string? Target, int? Status, string? Detail, DateTimeOffset At, JsonElement AtElement);

    private static IEnumerable<Outcome> Outcomes(JsonElement status)
    {
        if (status.ValueKind != JsonValueKind.Object || !status.TryGetProperty("recent", out var recent) || recent.ValueKind != JsonValueKind.Array) yield break;
        foreach (var o in recent.EnumerateArray())
        {
            if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty("at", out var atElement)
                || atElement.ValueKind != JsonValueKind.String || !atElement.TryGetDateTimeOffset(out var at)) continue;
            yield return new Outcome(TextTable.Text(o, "mac"), TextTable.Text(o, "target"), TextTable.Int(o, "status"), TextTable.Text(o, "detail"), at, atElement);
        }
    }

    private static DateTimeOffset? NewestOutcome(JsonElement status) =>
        Outcomes(status).Select(o => (DateTimeOffset?)o.At).DefaultIfEmpty(null).Max();

    private static int Int(JsonElement obj, string name) => TextTable.Int(obj, name) ?? 0;
}
