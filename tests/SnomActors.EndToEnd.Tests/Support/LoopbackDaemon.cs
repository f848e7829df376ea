using System.Net;
using System.Net.Sockets;

namespace SnomActors.EndToEnd.Tests.Support;

/// <summary>
/// A real daemon on loopback: <c>snomactors run --no-multicast --sip-address 127.0.0.1 --sip-port 0
/// --http-url http://127.0.0.1:FREE --data TEMP</c>, ready (SIP bound, <c>/health/ready</c> 200).
/// SIP port 0 lets the kernel pick (the daemon logs and uses the real one), so parallel runs never
/// collide; the HTTP port must be known up front because the NOTIFY's URL carries it.
/// </summary>
internal sealed class LoopbackDaemon : IAsyncDisposable
{
    /// <summary>Generous: the first start on a busy 2-core CI machine JITs Akka and Kestrel.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private bool _ownsDataDirectory = true;

    private readonly IReadOnlyDictionary<string, string>? _environment;

    private LoopbackDaemon(DaemonProcess process, string dataDirectory, int httpPort, IReadOnlyDictionary<string, string>? environment)
    {
        _environment = environment;
        Process = process;
        DataDirectory = dataDirectory;
        HttpPort = httpPort;
        Sip = new IPEndPoint(IPAddress.Loopback, process.SipPort);
        HttpBase = new Uri($"http://127.0.0.1:{httpPort}/");
    }

    public DaemonProcess Process { get; }

    /// <summary>Where the daemon's SIP socket is.</summary>
    public IPEndPoint Sip { get; }

    public int HttpPort { get; }

    public Uri HttpBase { get; }

    /// <summary>The daemon's <c>--data</c> and working directory (deleted on dispose, unless a restarted daemon took it over).</summary>
    public string DataDirectory { get; }

    /// <summary>Result of the SIGTERM in <see cref="DisposeAsync"/> (null: it had to be killed).</summary>
    public (int ExitCode, TimeSpan Elapsed)? Termination { get; private set; }

    /// <summary>The registry's SQLite file (<c>--data</c>/snomactors.db).</summary>
    public string DatabaseFile => Path.Combine(DataDirectory, "data", "snomactors.db");

    /// <summary>The settings URL the default template gives for <paramref name="mac"/> (12 lower-case hex).</summary>
    public string SettingsUrl(string mac) => $"http://127.0.0.1:{HttpPort}/settings/{mac}.xml";

    /// <summary>Starts a daemon and waits until it is ready; retries with a new HTTP port if that one was taken meanwhile.</summary>
    public static Task<LoopbackDaemon> StartAsync(params string[] extraArguments) => StartAsync(null, extraArguments);

    /// <summary>As <see cref="StartAsync(string[])"/>, with extra environment variables for the daemon.</summary>
    public static async Task<LoopbackDaemon> StartAsync(IReadOnlyDictionary<string, string>? environment, params string[] extraArguments)
    {
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var data = Directory.CreateTempSubdirectory("snomactors-e2e-").FullName;
            try
            {
                return await StartReadyAsync(data, FreeTcpPort(), sipPort: 0, extraArguments, environment);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                last = e;
                TryDelete(data);
            }
        }
        throw new InvalidOperationException("the daemon did not start (3 attempts)", last);
    }

    /// <summary>
    /// Starts a new daemon on this one's SIP port, HTTP port and data directory, as a supervisor
    /// would after a crash; this one must have ended (see <see cref="DaemonProcess.Kill"/>). The new
    /// daemon takes over the data directory (deleted when it is disposed, not when this one is) and
    /// the environment this one was started with (e.g. its PostgreSQL connection string).
    /// </summary>
    public async Task<LoopbackDaemon> RestartAsync(params string[] extraArguments)
    {
        if (!Process.HasExited) throw new InvalidOperationException($"daemon {Process.Pid} still runs; stop or kill it first");
        var restarted = await StartReadyAsync(DataDirectory, HttpPort, Sip.Port, extraArguments, _environment);
        _ownsDataDirectory = false;
        return restarted;
    }

    private static async Task<LoopbackDaemon> StartReadyAsync(string data, int httpPort, int sipPort, string[] extraArguments,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        string[] arguments =
        [
            "--no-multicast", "--sip-address", "127.0.0.1", "--sip-port", sipPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--http-url", $"http://127.0.0.1:{httpPort}", "--data", Path.Combine(data, "data"),
            .. extraArguments,
        ];
        var process = DaemonProcess.Start(arguments, data, environment: environment);
        try
        {
            await process.WaitForSipBoundAsync(StartTimeout);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var daemon = new LoopbackDaemon(process, data, httpPort, environment);
            await process.WaitForReadyAsync(http, daemon.HttpBase, StartTimeout);
            return daemon;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            process.Dispose();
            throw;
        }
    }

    /// <summary>An HTTP client on the daemon's root carrying the admin token from its data directory.</summary>
    public HttpClient AdminClient()
    {
        var http = new HttpClient { BaseAddress = HttpBase, Timeout = TimeSpan.FromSeconds(10) };
        var tokenFile = Path.Combine(DataDirectory, "data", "admin-token");
        if (File.Exists(tokenFile))
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", File.ReadAllText(tokenFile).Trim());
        return http;
    }

    /// <summary>Uploads a general settings document, so that every phone's download is answered 200.</summary>
    public async Task PutGeneralSettingsAsync()
    {
        using var http = AdminClient();
        using var put = await http.PutAsync("/api/settings/general",
            new StringContent("<?xml version=\"1.0\"?>\n<settings><phone-settings><http_user>{mac}</http_user></phone-settings></settings>\n",
                System.Text.Encoding.UTF8, "application/xml"));
        if (!put.IsSuccessStatusCode) throw new InvalidOperationException($"uploading the general settings: {(int)put.StatusCode}\n{Process.Describe()}");
    }

    /// <summary>The value of one unlabelled sample (or <c>name{labels}</c> spelled as exposed) from <c>/metrics</c>.</summary>
    public async Task<long> MetricAsync(HttpClient http, string sample)
    {
        var text = await http.GetStringAsync(new Uri(HttpBase, "/metrics"));
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(sample + " ", StringComparison.Ordinal)) continue;
            return (long)double.Parse(line[(sample.Length + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"no sample '{sample}' in /metrics");
    }

    /// <summary>SIGTERM, wait up to 10 s (then SIGKILL), delete the temp directory.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            Termination = await Process.TerminateAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            Process.Dispose();
            if (_ownsDataDirectory) TryDelete(DataDirectory);
        }
    }

    /// <summary>A TCP port free on 127.0.0.1 right now.</summary>
    public static int FreeTcpPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>A UDP port free on 127.0.0.1 right now (for SIPp's <c>-p</c>).</summary>
    public static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory.
        }
        catch (UnauthorizedAccessException)
        {
            // Best effort.
        }
    }
}

/// <summary>
/// One loopback daemon shared by the tests of a collection. Its disposal is itself a check: SIGTERM
/// after the collection's traffic must stop it with exit code 0 (a failure shows up as a collection
/// cleanup failure; <c>DaemonLifecycleTests</c> checks the same as a named test).
/// </summary>
public sealed class LoopbackDaemonFixture : IAsyncLifetime
{
    private LoopbackDaemon? _daemon;

    internal LoopbackDaemon Daemon => _daemon ?? throw new InvalidOperationException("daemon not started");

    public async Task InitializeAsync() => _daemon = await LoopbackDaemon.StartAsync();

    public async Task DisposeAsync()
    {
        if (_daemon is null) return;
        var log = _daemon.Process.Describe();
        await _daemon.DisposeAsync();
        if (_daemon.Termination is not { ExitCode: 0 })
            throw new InvalidOperationException($"SIGTERM did not stop the daemon with exit code 0: {_daemon.Termination?.ExitCode.ToString() ?? "still running after 10 s (killed)"}\n{log}");
    }
}

/// <summary>Tests that share one loopback daemon run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class LoopbackDaemonCollection : ICollectionFixture<LoopbackDaemonFixture>
{
    public const string Name = "loopback daemon";
}
