using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SnomActors.Http.Hosting;
using SnomActors.Http.Security;
using SnomActors.Http.Tests.Http;
using SnomActors.Server.Provisioning;

namespace SnomActors.Http.Tests.Security;

/// <summary>
/// The HTTP side wired as the daemon wires it with issue 5's protections: the admin credential
/// generated in a temporary data directory, one token table shared by the registry and the
/// download check, and every log line captured so tests can check no secret is written.
/// <see cref="HttpHost.Client"/> carries the admin token; <see cref="Anonymous"/> carries nothing.
/// </summary>
public sealed class SecureHost : IAsyncDisposable
{
    private SecureHost(HttpHost host, string dataDirectory, DownloadTokenTable tokens, CapturingLogs logs)
    {
        Host = host;
        DataDirectory = dataDirectory;
        Tokens = tokens;
        Logs = logs;
        Anonymous = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };
        var tokenFile = Path.Combine(dataDirectory, AdminCredentialFile.TokenFileName);
        AdminToken = File.Exists(tokenFile) ? File.ReadAllText(tokenFile).Trim() : string.Empty;
        if (AdminToken.Length > 0) host.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
    }

    public HttpHost Host { get; }
    public string DataDirectory { get; }
    public DownloadTokenTable Tokens { get; }
    public CapturingLogs Logs { get; }
    public HttpClient Anonymous { get; }
    public string AdminToken { get; }

    public static async Task<SecureHost> StartAsync(
        DownloadProtectionPolicy? policy = null, Func<SecurityOptions, SecurityOptions>? configure = null, Func<HttpOptions, HttpOptions>? http = null)
    {
        var data = Path.Combine(Path.GetTempPath(), "snomactors-sec-" + Guid.NewGuid().ToString("N"));
        var tokens = new DownloadTokenTable(policy ?? DownloadProtectionPolicy.Open);
        var options = new SecurityOptions { DataDirectory = data, DownloadProtection = tokens.Policy };
        if (configure is not null) options = configure(options);
        var logs = new CapturingLogs();
        var host = await HttpHost.StartAsync(http, s =>
        {
            s.AddSingleton<ILoggerProvider>(logs);
            s.AddSnomActorsSecurity(options, tokens);
        }, r => r with { DownloadTokens = tokens });
        return new SecureHost(host, data, tokens, logs);
    }

    public async ValueTask DisposeAsync()
    {
        Anonymous.Dispose();
        await Host.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Keeps every formatted log line (and exception text) of the host.</summary>
public sealed class CapturingLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose() { }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
