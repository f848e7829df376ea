using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;
using SnomActors.Cli.Api;

namespace SnomActors.Cli.Commands;

/// <summary>
/// <c>snomactors import CSV [--replace]</c>: per-phone variables from a CSV file (header
/// <c>mac,&lt;name&gt;,&lt;name&gt;…</c>) into the daemon, for the <c>{placeholders}</c> of settings
/// documents. Prints the daemon's per-row report; exits 1 when any row was rejected (the others are
/// imported), 0 when all were accepted. <c>-</c> reads the CSV from standard input.
/// </summary>
public static class ImportCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var server = DaemonOptions.Server();
        var data = DaemonOptions.Data();
        var token = DaemonOptions.Token();
        var csv = new Argument<string>("CSV") { Description = "The CSV file (first row: mac,<variable>,<variable>…), or - for standard input." };
        var replace = new Option<bool>("--replace")
        {
            Description = "Each listed phone keeps only the variables in the file (default: merge, the file's names are set and others kept).",
        };
        var command = new Command("import", "Import per-phone variables from a CSV file and print which rows were accepted or rejected.")
        {
            server, data, token, csv, replace,
        };
        command.SetAction(async (result, cancellation) =>
        {
            var error = result.InvocationConfiguration.Error;
            var path = result.GetValue(csv)!;
            byte[] content;
            try
            {
                content = path == "-" ? await ReadAllAsync(Console.OpenStandardInput(), cancellation) : SettingsCommand.ReadFile(path);
            }
            catch (DaemonApiException ex)
            {
                return DaemonApiClient.Report("import", ex, error);
            }
            return await DaemonApiClient.RunAsync("import", result.GetValue(server), DaemonOptions.ResolveData(result.GetValue(data)), result.GetValue(token), error,
                client => ImportAsync(client, content, result.GetValue(replace), result.InvocationConfiguration.Output, cancellation));
        });
        return command;
    }

    /// <summary>Posts the CSV and prints the report; returns 1 when a row was rejected, else 0.</summary>
    public static async Task<int> ImportAsync(DaemonApiClient client, byte[] csv, bool replace, TextWriter output, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(csv);
        ArgumentNullException.ThrowIfNull(output);
        var body = new ByteArrayContent(csv);
        body.Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
        var path = "api/variables/import" + (replace ? "?mode=replace" : string.Empty);
        var report = await client.PostAsync(path, body, cancellation)
            ?? throw new DaemonApiException(200, "Unexpected answer", $"POST {path} returned no report");
        var accepted = TextTable.Int(report, "accepted") ?? 0;
        var rejected = TextTable.Int(report, "rejected") ?? 0;
        await output.WriteLineAsync($"{accepted} row{(accepted == 1 ? "" : "s")} accepted, {rejected} rejected ({(replace ? "replace" : "merge")}).");
        var rows = report.ValueKind == JsonValueKind.Object && report.TryGetProperty("rows", out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray().ToList() : [];
        var refused = rows.Where(row => TextTable.Text(row, "status") == "rejected").ToList();
        if (refused.Count > 0)
        {
            await output.WriteAsync(TextTable.Render(["LINE", "MAC", "REASON"],
                refused.Select(row => (IReadOnlyList<string?>)[TextTable.Text(row, "line"), TextTable.Text(row, "mac"), TextTable.Text(row, "error")])));
        }
        return rejected > 0 ? DaemonApiClient.ExitApiError : 0;
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellation);
        return buffer.ToArray();
    }
}
