using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;
using SnomActors.Cli.Api;
using SnomActors.Sip.Identity;

namespace SnomActors.Cli.Commands;

/// <summary>
/// <c>snomactors settings upload FILE [--mac MAC|--model MODEL|--vendor VENDOR]</c> (no selector: the
/// general file every phone without a more specific one downloads), <c>settings list</c> and
/// <c>settings versions [--mac|--model|--vendor]</c>. An upload the daemon refuses as malformed XML
/// prints each error with its line and column and exits 1; nothing is stored then.
/// </summary>
public static class SettingsCommand
{
    /// <summary>Which settings document a command addresses.</summary>
    /// <param name="Scope"><c>general</c>, <c>vendor</c>, <c>model</c> or <c>mac</c>.</param>
    /// <param name="Key">The vendor, model or normalised MAC; null for general.</param>
    public sealed record Selector(string Scope, string? Key)
    {
        /// <summary>The general document.</summary>
        public static readonly Selector General = new("general", null);

        /// <summary>The API path of the document, e.g. <c>api/settings/model/snom360</c>.</summary>
        public string ApiPath => Key is null ? "api/settings/general" : $"api/settings/{Scope}/{Uri.EscapeDataString(Key)}";

        /// <summary>For messages: <c>general</c>, <c>model 'snom360'</c>.</summary>
        public override string ToString() => Key is null ? Scope : $"{Scope} '{Key}'";
    }

    /// <summary>The three selector options of one command.</summary>
    private sealed record SelectorOptions(Option<string?> Mac, Option<string?> Model, Option<string?> Vendor)
    {
        public static SelectorOptions Create(string verb) => new(
            new Option<string?>("--mac") { Description = $"{verb} the document of one phone.", HelpName = "MAC" },
            new Option<string?>("--model") { Description = $"{verb} the document of one model (e.g. snom360).", HelpName = "MODEL" },
            new Option<string?>("--vendor") { Description = $"{verb} the document of one vendor (e.g. snom, yealink).", HelpName = "VENDOR" });

        public void AddTo(Command command)
        {
            command.Options.Add(Mac);
            command.Options.Add(Model);
            command.Options.Add(Vendor);
        }

        /// <summary>The selector given, General for none; throws a usage error for more than one or a bad value.</summary>
        public Selector Resolve(ParseResult result)
        {
            var given = new (string Name, string Scope, string? Value)[]
                {
                    ("--mac", "mac", result.GetValue(Mac)), ("--model", "model", result.GetValue(Model)), ("--vendor", "vendor", result.GetValue(Vendor)),
                }
                .Where(g => g.Value is not null)
                .ToList();
            if (given.Count > 1)
                throw Usage("conflicting options", $"{string.Join(" and ", given.Select(g => g.Name))} exclude each other: give at most one of --mac, --model, --vendor (none = the general file)");
            if (given.Count == 0) return Selector.General;
            var (name, scope, value) = given[0];
            var text = value!.Trim();
            if (text.Length == 0) throw Usage($"invalid {name}", $"{name} needs a value");
            if (scope == "mac")
            {
                if (!MacAddress.TryNormalize(text, out var mac))
                    throw Usage("invalid --mac", $"'{text}' is not a MAC address: expected 12 hex digits, optionally separated by ':', '-' or '.'");
                return new Selector(scope, mac);
            }
            return new Selector(scope, scope == "vendor" ? text.ToLowerInvariant() : text);
        }
    }

    /// <summary>Builds <c>settings</c> with its subcommands.</summary>
    public static Command Create()
    {
        var command = new Command("settings", "Manage the settings documents phones download: upload a new version, list documents and their versions.");
        command.Subcommands.Add(CreateUpload());
        command.Subcommands.Add(CreateList());
        command.Subcommands.Add(CreateVersions());
        return command;
    }

    private static Command CreateUpload()
    {
        var server = DaemonOptions.Server();
        var data = DaemonOptions.Data();
        var token = DaemonOptions.Token();
        var file = new Argument<string>("FILE") { Description = "The settings XML file (placeholders such as {mac} are filled in per phone)." };
        var selectors = SelectorOptions.Create("Upload as");
        var author = new Option<string?>("--author") { Description = "Recorded with the version (default: the user name).", HelpName = "NAME" };
        var command = new Command("upload", "Upload FILE as a new version of a settings document; without --mac/--model/--vendor it becomes the general file.")
        {
            server, data, token, file, author,
        };
        selectors.AddTo(command);
        command.SetAction((result, cancellation) =>
        {
            var error = result.InvocationConfiguration.Error;
            try
            {
                var selector = selectors.Resolve(result);
                var path = result.GetValue(file)!;
                var content = ReadFile(path);
                var by = result.GetValue(author) ?? Environment.UserName;
                return DaemonApiClient.RunAsync("settings upload", result.GetValue(server), DaemonOptions.ResolveData(result.GetValue(data)), result.GetValue(token), error,
                    client => UploadAsync(client, selector, content, by, result.InvocationConfiguration.Output, cancellation));
            }
            catch (DaemonApiException ex)
            {
                return Task.FromResult(DaemonApiClient.Report("settings upload", ex, error));
            }
        });
        return command;
    }

    private static Command CreateList()
    {
        var server = DaemonOptions.Server();
        var data = DaemonOptions.Data();
        var token = DaemonOptions.Token();
        var json = new Option<bool>("--json") { Description = "Print the API's JSON instead of a table." };
        var command = new Command("list", "List the live settings documents with their current version.") { server, data, token, json };
        command.SetAction((result, cancellation) =>
            DaemonApiClient.RunAsync("settings list", result.GetValue(server), DaemonOptions.ResolveData(result.GetValue(data)), result.GetValue(token),
                result.InvocationConfiguration.Error,
                client => ListAsync(client, "api/settings", withScope: true, result.GetValue(json), result.InvocationConfiguration.Output, cancellation)));
        return command;
    }

    private static Command CreateVersions()
    {
        var server = DaemonOptions.Server();
        var data = DaemonOptions.Data();
        var token = DaemonOptions.Token();
        var json = new Option<bool>("--json") { Description = "Print the API's JSON instead of a table." };
        var selectors = SelectorOptions.Create("Versions of");
        var command = new Command("versions", "List every version of one settings document (default: the general file), newest first.") { server, data, token, json };
        selectors.AddTo(command);
        command.SetAction((result, cancellation) =>
        {
            var error = result.InvocationConfiguration.Error;
            try
            {
                var selector = selectors.Resolve(result);
                return DaemonApiClient.RunAsync("settings versions", result.GetValue(server), DaemonOptions.ResolveData(result.GetValue(data)), result.GetValue(token), error,
                    client => ListAsync(client, selector.ApiPath + "/versions", withScope: false, result.GetValue(json), result.InvocationConfiguration.Output, cancellation));
            }
            catch (DaemonApiException ex)
            {
                return Task.FromResult(DaemonApiClient.Report("settings versions", ex, error));
            }
        });
        return command;
    }

    /// <summary>Uploads <paramref name="content"/> as a new version of <paramref name="selector"/>'s document and prints what was stored.</summary>
    public static async Task<int> UploadAsync(DaemonApiClient client, Selector selector, byte[] content, string? author, TextWriter output, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(selector);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(output);
        var path = selector.ApiPath + (string.IsNullOrWhiteSpace(author) ? string.Empty : "?author=" + Uri.EscapeDataString(author.Trim()));
        // Bytes as they are: the daemon decodes UTF-8 and drops a BOM, and its line/column numbers then match the file.
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/xml") { CharSet = "utf-8" };
        var answer = await client.PutAsync(path, body, cancellation)
            ?? throw new DaemonApiException(201, "Unexpected answer", $"PUT {path} returned no body");
        var scope = TextTable.Text(answer, "scope") ?? selector.Scope;
        var key = TextTable.Text(answer, "key");
        await output.WriteLineAsync($"Uploaded {(string.IsNullOrEmpty(key) ? scope : $"{scope} '{key}'")} settings, version {TextTable.Text(answer, "version")}.");
        foreach (var (name, value) in new (string, string?)[]
                 {
                     ("scope", scope),
                     ("key", string.IsNullOrEmpty(key) ? "(general)" : key),
                     ("version", TextTable.Text(answer, "version")),
                     ("size", TextTable.Text(answer, "sizeBytes") is { } size ? size + " bytes" : null),
                     ("sha256", TextTable.Text(answer, "sha256")),
                 })
            await output.WriteLineAsync($"  {name + ":",-9}{value ?? "-"}");
        return 0;
    }

    /// <summary>Prints a list of version summaries (<c>GET /api/settings</c> or <c>…/versions</c>).</summary>
    public static async Task<int> ListAsync(DaemonApiClient client, string path, bool withScope, bool json, TextWriter output, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(output);
        var list = await client.GetJsonAsync(path, cancellation);
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(list, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        var rows = list.ValueKind == JsonValueKind.Array ? list.EnumerateArray().ToList() : [];
        if (rows.Count == 0)
        {
            await output.WriteLineAsync("No settings documents yet: without a general file, phones get 404.");
            return 0;
        }
        string[] header = withScope
            ? ["SCOPE", "KEY", "VERSION", "AUTHOR", "CREATED", "SIZE", "SHA256"]
            : ["VERSION", "AUTHOR", "CREATED", "SIZE", "SHA256"];
        await output.WriteAsync(TextTable.Render(header, rows.Select(r =>
        {
            var tail = new[]
            {
                TextTable.Text(r, "version"), TextTable.Text(r, "author"),
                r.ValueKind == JsonValueKind.Object && r.TryGetProperty("createdAt", out var at) ? TextTable.Time(at) : null,
                TextTable.Text(r, "sizeBytes"), TextTable.Text(r, "sha256"),
            };
            return withScope
                ? (IReadOnlyList<string?>)[TextTable.Text(r, "scope"), TextTable.Text(r, "key") is { Length: > 0 } k ? k : "(general)", .. tail]
                : tail;
        })));
        return 0;
    }

    /// <summary>Reads a file the operator named; a missing or unreadable one is a usage error naming it.</summary>
    internal static byte[] ReadFile(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw Usage($"cannot read {path}", "no such file");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw Usage($"cannot read {path}", ex.Message);
        }
    }

    private static DaemonApiException Usage(string title, string detail) => new(title, detail, null, usage: true);
}
