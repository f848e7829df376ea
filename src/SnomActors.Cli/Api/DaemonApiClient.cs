using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace SnomActors.Cli.Api;

/// <summary>
/// The CLI's one way to talk to a running daemon (<c>status</c>, <c>monitor</c>, and the admin commands
/// that follow: devices, settings upload, import, resync). It alone knows the base URL, the
/// <c>Authorization</c> header, and how an error looks: every failure becomes a
/// <see cref="DaemonApiException"/>, which <see cref="RunAsync"/> prints as
/// <c>snomactors &lt;cmd&gt;: &lt;title&gt;: &lt;detail&gt;</c> with a non-zero exit code.
/// </summary>
public sealed class DaemonApiClient : IDisposable
{
    /// <summary>Default <c>--server</c>: the daemon's HTTP side on this machine.</summary>
    public const string DefaultServer = "http://127.0.0.1:8080";

    /// <summary>Exit code when the daemon answered with an error.</summary>
    public const int ExitApiError = 1;

    /// <summary>Exit code for a malformed option (as System.CommandLine's parse errors).</summary>
    public const int ExitUsage = 2;

    /// <summary>Exit code when the daemon could not be reached (sysexits EX_UNAVAILABLE).</summary>
    public const int ExitUnreachable = 69;

    /// <summary>JSON conventions of the daemon's API (camelCase, as ASP.NET's web defaults).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;
    private readonly AdminCredential? _credential;

    /// <summary>A client for the daemon at <paramref name="baseAddress"/>.</summary>
    /// <param name="baseAddress">The daemon's HTTP root, e.g. <c>http://127.0.0.1:8080</c>.</param>
    /// <param name="credential">Sent on every request when not null.</param>
    /// <param name="handler">For tests; by default a socket handler with a short connect timeout.</param>
    /// <param name="timeout">Per-request limit (default 10 s).</param>
    public DaemonApiClient(Uri baseAddress, AdminCredential? credential = null, HttpMessageHandler? handler = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        BaseAddress = baseAddress.AbsolutePath.EndsWith('/') ? baseAddress : new Uri(baseAddress + "/");
        _credential = credential;
        // A daemon that is down should be reported in a few seconds, not after the OS's TCP timeout.
        _http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(3) }, disposeHandler: true)
        {
            BaseAddress = BaseAddress,
            Timeout = timeout ?? TimeSpan.FromSeconds(10),
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("snomactors-cli", typeof(DaemonApiClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    /// <summary>The daemon's HTTP root (always ending in '/').</summary>
    public Uri BaseAddress { get; }

    /// <summary>
    /// Parses <c>--server</c> (an absolute http/https URL; a bare <c>host:port</c> gets <c>http://</c>).
    /// Throws <see cref="DaemonApiException"/> for anything else so it prints like other errors.
    /// </summary>
    public static Uri ParseServer(string? server)
    {
        var text = string.IsNullOrWhiteSpace(server) ? DefaultServer : server.Trim();
        if (!text.Contains("://", StringComparison.Ordinal)) text = "http://" + text;
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0) return uri;
        throw new DaemonApiException("invalid --server", $"'{server}' is not an http:// or https:// URL", null, usage: true);
    }

    /// <summary>
    /// Runs a CLI command against the daemon: builds the client from <c>--server</c>, <c>--token</c>
    /// (else <c>$SNOMACTORS_TOKEN</c>) and <c>--data</c> (its <c>admin-token</c> file), runs
    /// <paramref name="body"/>, and turns a <see cref="DaemonApiException"/> into one line on
    /// <paramref name="error"/> and an exit code.
    /// </summary>
    public static async Task<int> RunAsync(string command, string? server, string? dataDirectory, string? token, TextWriter error,
        Func<DaemonApiClient, Task<int>> body)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            using var client = new DaemonApiClient(ParseServer(server), AdminCredential.Resolve(token, dataDirectory));
            return await body(client);
        }
        catch (DaemonApiException ex)
        {
            return Report(command, ex, error);
        }
    }

    /// <summary>Prints <paramref name="ex"/> as <c>snomactors &lt;cmd&gt;: &lt;title&gt;: &lt;detail&gt;</c> and returns the exit code.</summary>
    public static int Report(string command, DaemonApiException ex, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(ex);
        ArgumentNullException.ThrowIfNull(error);
        error.WriteLine(ex.Detail is { Length: > 0 } detail
            ? $"snomactors {command}: {ex.Title}: {detail}"
            : $"snomactors {command}: {ex.Title}");
        if (ex.Data["errors"] is IReadOnlyList<string> lines)
            foreach (var line in lines) error.WriteLine($"  {line}");
        return ex.Unreachable ? ExitUnreachable : ex.Usage ? ExitUsage : ExitApiError;
    }

    /// <summary>GET a JSON document; any non-2xx answer throws.</summary>
    public async Task<JsonElement> GetJsonAsync(string path, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);
        return await ReadJsonAsync(response, cancellationToken);
    }

    /// <summary>GET a JSON document as <typeparamref name="T"/>.</summary>
    public async Task<T> GetJsonAsync<T>(string path, CancellationToken cancellationToken = default)
    {
        var element = await GetJsonAsync(path, cancellationToken);
        try
        {
            return element.Deserialize<T>(Json) ?? throw new JsonException("null document");
        }
        catch (JsonException ex)
        {
            throw new DaemonApiException(200, "Unexpected answer", $"GET {path}: {ex.Message}", ex);
        }
    }

    /// <summary>GET a text resource (e.g. <c>/metrics</c>, a settings file).</summary>
    public async Task<string> GetTextAsync(string path, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary>
    /// GET that returns the status and JSON body whatever the status (for probes such as
    /// <c>/health/ready</c>, whose 503 is an answer, not an error). Throws only when unreachable.
    /// </summary>
    public async Task<(int Status, JsonElement? Body)> ProbeAsync(string path, CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return ((int)response.StatusCode, TryParseJson(text));
    }

    /// <summary>PUT a body; returns the JSON answer (null for an empty one).</summary>
    public async Task<JsonElement?> PutAsync(string path, HttpContent content, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Put, path) { Content = content }, cancellationToken);
        return await ReadOptionalJsonAsync(response, cancellationToken);
    }

    /// <summary>POST a body (or none); returns the JSON answer (null for an empty one).</summary>
    public async Task<JsonElement?> PostAsync(string path, HttpContent? content, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = content }, cancellationToken);
        return await ReadOptionalJsonAsync(response, cancellationToken);
    }

    /// <summary>DELETE a resource.</summary>
    public async Task DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Delete, path), cancellationToken);
    }

    /// <summary>
    /// Sends a request with the credential; returns the response when it is 2xx, otherwise throws a
    /// <see cref="DaemonApiException"/> built from the problem details. The caller disposes the response.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        var response = await SendRawAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw ProblemFrom(response.StatusCode, response.ReasonPhrase, response.Content.Headers.ContentType?.MediaType, body, request);
        }
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_credential is not null) request.Headers.Authorization = _credential.ToHeader();
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("application/problem+json");
        request.Headers.Accept.ParseAdd("*/*;q=0.1");
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            var reason = ex.InnerException is SocketException socket ? SocketReason(socket) : ex.Message;
            throw new DaemonApiException($"cannot reach the daemon at {BaseAddress.GetLeftPart(UriPartial.Authority)}",
                $"{reason}. Is it running (systemctl status snomactors) and is --server right?", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DaemonApiException($"no answer from the daemon at {BaseAddress.GetLeftPart(UriPartial.Authority)}",
                $"{request.Method} {request.RequestUri} took longer than {_http.Timeout.TotalSeconds:0} s", ex);
        }
    }

    private static string SocketReason(SocketException ex) => ex.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostNotFound or SocketError.NoData => "host not found",
        SocketError.TimedOut => "connection timed out",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "host unreachable",
        _ => ex.Message,
    };

    /// <summary>Builds the exception for an error answer: RFC 9457 title/detail when present.</summary>
    public static DaemonApiException ProblemFrom(HttpStatusCode status, string? reason, string? mediaType, string body, HttpRequestMessage? request = null)
    {
        var code = (int)status;
        var title = string.IsNullOrWhiteSpace(reason) ? $"HTTP {code}" : $"{reason.Trim()}";
        string? detail = null;
        var errors = new List<string>();
        if (TryParseJson(body) is { ValueKind: JsonValueKind.Object } problem)
        {
            if (problem.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String) title = t.GetString()!;
            if (problem.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String) detail = d.GetString();
            if (problem.TryGetProperty("errors", out var e)) errors.AddRange(ErrorLines(e));
        }
        else if (mediaType is "text/plain" && body.Length > 0)
        {
            detail = body.Length > 200 ? body[..200] + "…" : body.Trim();
        }
        if (status == HttpStatusCode.Unauthorized && detail is null)
            detail = "the daemon wants the admin credential: run on the daemon's machine with --data pointing at its state directory " +
                     "(the daemon writes <data>/admin-token), or pass --token / $SNOMACTORS_TOKEN";
        if (status == HttpStatusCode.TooManyRequests && detail is null)
            detail = "too many failed authentications from this address; wait and retry with the right credential";
        detail ??= request is null ? $"HTTP {code}" : $"HTTP {code} for {request.Method} {request.RequestUri}";
        var ex = new DaemonApiException(code, title, detail);
        if (errors.Count > 0) ex.Data["errors"] = errors;
        return ex;
    }

    private static IEnumerable<string> ErrorLines(JsonElement errors)
    {
        // Two shapes: the settings validator's [ { line, column, message } ] and ASP.NET's { field: [messages] }.
        if (errors.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in errors.EnumerateArray())
            {
                if (e.ValueKind == JsonValueKind.String) { yield return e.GetString()!; continue; }
                if (e.ValueKind != JsonValueKind.Object) continue;
                var sb = new StringBuilder();
                if (e.TryGetProperty("line", out var line)) sb.Append("line ").Append(line.ToString());
                if (e.TryGetProperty("column", out var column)) sb.Append(sb.Length > 0 ? ", " : string.Empty).Append("column ").Append(column.ToString());
                if (e.TryGetProperty("message", out var message)) sb.Append(sb.Length > 0 ? ": " : string.Empty).Append(message.GetString());
                yield return sb.Length > 0 ? sb.ToString() : e.GetRawText();
            }
        }
        else if (errors.ValueKind == JsonValueKind.Object)
        {
            foreach (var field in errors.EnumerateObject())
            {
                var messages = field.Value.ValueKind == JsonValueKind.Array
                    ? string.Join("; ", field.Value.EnumerateArray().Select(m => m.ToString()))
                    : field.Value.ToString();
                yield return $"{field.Name}: {messages}";
            }
        }
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return TryParseJson(text) ?? throw new DaemonApiException((int)response.StatusCode, "Unexpected answer",
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} did not return JSON");
    }

    private static async Task<JsonElement?> ReadOptionalJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return text.Length == 0 ? null : TryParseJson(text);
    }

    private static JsonElement? TryParseJson(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
