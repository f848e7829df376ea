using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using SnomActors.Cli.Api;

namespace SnomActors.Cli.Commands;

/// <summary>
/// <c>snomactors status [--server URL] [--data DIR]</c>: one JSON snapshot of a running daemon
/// (<c>/health/ready</c> and <c>/api/stats</c>) on stdout, for scripts and support tickets.
/// Exit code 0 when the daemon is ready, 3 when it answers but is not ready, 1 on an API error,
/// 69 when it cannot be reached.
/// </summary>
public static class StatusCommand
{
    /// <summary>Exit code when the daemon answered but reported itself not ready.</summary>
    public const int ExitNotReady = 3;

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var server = DaemonOptions.Server();
        var data = DaemonOptions.Data();
        var token = DaemonOptions.Token();
        var command = new Command("status", "Print a JSON snapshot of a running daemon: readiness and provisioning statistics.")
        {
            server, data, token,
        };
        command.SetAction((result, cancellation) =>
        {
            var output = result.InvocationConfiguration.Output;
            return DaemonApiClient.RunAsync("status", result.GetValue(server), DaemonOptions.ResolveData(result.GetValue(data)), result.GetValue(token),
                result.InvocationConfiguration.Error,
                client => WriteStatusAsync(client, output, TimeProvider.System, cancellation));
        });
        return command;
    }

    /// <summary>Fetches and writes the snapshot; returns the exit code.</summary>
    public static async Task<int> WriteStatusAsync(DaemonApiClient client, TextWriter output, TimeProvider time, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(time);
        var health = client.ProbeAsync("health/ready", cancellation);
        var stats = client.GetJsonAsync("api/stats", cancellation);
        var (status, body) = await health;
        var snapshot = new JsonObject
        {
            ["server"] = client.BaseAddress.GetLeftPart(UriPartial.Authority),
            ["at"] = time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["ready"] = status == 200,
            ["health"] = body is { } b ? JsonNode.Parse(b.GetRawText()) : new JsonObject { ["status"] = status },
            ["stats"] = JsonNode.Parse((await stats).GetRawText()),
        };
        await output.WriteLineAsync(snapshot.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return status == 200 ? 0 : ExitNotReady;
    }
}
