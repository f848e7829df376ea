using System.Diagnostics;
using System.Net;
using System.Text.Json;
using SnomActors.EndToEnd.Tests.Support;
using SnomActors.Server.Tests.Metrics;
using SnomActors.Tests.Shared;

namespace SnomActors.EndToEnd.Tests;

/// <summary>
/// What an operator watches, against the real daemon after one real phone went through PnP and
/// downloaded its settings (issue 6, "How it is tested": the monitor "shows the numbers the API
/// reports"; the exposition parses): the installed CLI's <c>monitor --once</c> and <c>status</c>,
/// and the whole live <c>/metrics</c> document through promtool.
/// </summary>
public sealed class OperatorViewsTests : IAsyncLifetime
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(5);
    private readonly string _mac = TestMessages.NewMac();
    private LoopbackDaemon _daemon = null!;

    public async Task InitializeAsync()
    {
        // Token protection on, so that the security families have something to count.
        _daemon = await LoopbackDaemon.StartAsync(new Dictionary<string, string> { ["SnomActors__Http__DownloadProtection__Default"] = "Token" });
        await _daemon.PutGeneralSettingsAsync();

        using var phone = PhoneSocket.OnLoopback();
        phone.Send(TestMessages.Subscribe(phone.LocalEndPoint, _mac, $"e2e-views-{Guid.NewGuid():N}"), _daemon.Sip);
        Assert.Equal(200, (await phone.ExpectAsync("the 200", Answer)).Message.StatusCode);
        var notify = await phone.ExpectAsync("the NOTIFY", Answer);
        phone.Answer(notify);
        var url = notify.Message.Body.Trim();
        Assert.Contains("token=", url, StringComparison.Ordinal);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using (var download = await http.GetAsync(new Uri(url))) Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        using (var refused = await http.GetAsync(new Uri(_daemon.SettingsUrl(_mac)))) Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        using (var wrongToken = new HttpRequestMessage(HttpMethod.Get, new Uri(_daemon.HttpBase, "/api/stats")))
        {
            wrongToken.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-the-admin-token");
            using var refusedAdmin = await http.SendAsync(wrongToken);
            Assert.Equal(HttpStatusCode.Unauthorized, refusedAdmin.StatusCode);
        }

        // The registry writes in batches: wait until the API shows the download.
        using var admin = _daemon.AdminClient();
        var deadline = Stopwatch.StartNew();
        while ((await StatsAsync(admin)).GetProperty("byState").GetProperty("downloaded").GetInt64() < 1)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), $"the download never showed in /api/stats\n{_daemon.Process.Describe()}");
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    private static async Task<JsonElement> StatsAsync(HttpClient admin)
    {
        using var doc = JsonDocument.Parse(await admin.GetStringAsync("/api/stats"));
        return doc.RootElement.Clone();
    }

    private async Task<(int Exit, string Out, string Err)> CliAsync(params string[] args)
    {
        var start = new ProcessStartInfo(DaemonPaths.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(DaemonPaths.CliDll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.ArgumentList.Add("--server");
        start.ArgumentList.Add(_daemon.HttpBase.ToString());
        start.ArgumentList.Add("--data");
        start.ArgumentList.Add(Path.Combine(_daemon.DataDirectory, "data"));
        start.Environment["NO_COLOR"] = "1";
        start.Environment.Remove("SNOMACTORS_TOKEN");
        using var cli = Process.Start(start)!;
        var output = cli.StandardOutput.ReadToEndAsync();
        var error = cli.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await cli.WaitForExitAsync(timeout.Token);
        return (cli.ExitCode, await output, await error);
    }

    [Fact]
    public async Task Monitor_once_and_status_print_the_numbers_the_api_reports_after_a_real_exchange()
    {
        var (monitorExit, monitor, monitorError) = await CliAsync("monitor", "--once");
        var (statusExit, status, statusError) = await CliAsync("status");
        using var admin = _daemon.AdminClient();
        var stats = await StatsAsync(admin);

        Assert.True(monitorExit == 0, $"monitor exit {monitorExit}: {monitorError}\n{monitor}");
        Assert.True(statusExit == 0, $"status exit {statusExit}: {statusError}\n{status}");
        var s = stats.GetProperty("byState");
        Assert.Equal(1, stats.GetProperty("devices").GetInt64());
        Assert.Equal(1, s.GetProperty("downloaded").GetInt64());
        Assert.Contains($"{stats.GetProperty("devices").GetInt64()} known   seen {s.GetProperty("seen")}  answered {s.GetProperty("answered")}  " +
                        $"notified {s.GetProperty("notified")}  provisioned {s.GetProperty("provisioned")}  downloaded {s.GetProperty("downloaded")}  " +
                        $"failed {s.GetProperty("failed")}", monitor);
        Assert.Contains($"live {stats.GetProperty("liveDialogs").GetInt64()} ", monitor);
        Assert.Contains("1 completed", monitor);          // Exchanges: one NOTIFY acknowledged
        Assert.Contains("2xx 1   3xx 0", monitor);          // NOTIFY answered 2xx 1
        Assert.Contains(_mac, monitor);                   // Recent devices
        Assert.Contains($"ready (SIP 127.0.0.1:{_daemon.Sip.Port})", monitor, StringComparison.Ordinal);
        Assert.DoesNotContain("! ", monitor);               // nothing the monitor could not read

        using var snapshot = JsonDocument.Parse(status);
        Assert.True(snapshot.RootElement.GetProperty("ready").GetBoolean());
        Assert.Equal("ready", snapshot.RootElement.GetProperty("health").GetProperty("status").GetString());
        Assert.Equal($"127.0.0.1:{_daemon.Sip.Port}", snapshot.RootElement.GetProperty("health").GetProperty("sip")[0].GetString());
        var printed = snapshot.RootElement.GetProperty("stats");
        Assert.Equal(stats.GetProperty("devices").GetInt64(), printed.GetProperty("devices").GetInt64());
        Assert.Equal(s.EnumerateObject().Select(p => (p.Name, p.Value.GetInt64())),
            printed.GetProperty("byState").EnumerateObject().Select(p => (p.Name, p.Value.GetInt64())));
    }

    [Fact]
    public async Task The_live_metrics_document_parses_strictly_passes_promtool_and_counts_the_download_and_the_refusals()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var text = await http.GetStringAsync(new Uri(_daemon.HttpBase, "/metrics"));

        var families = ExpositionParser.Parse(text);
        if (Promtool.Installed) await Promtool.AssertAcceptsAsync(text);

        double Sum(string family, Func<ParsedSample, bool>? where = null) =>
            families[family].Samples.Where(where ?? (_ => true)).Sum(x => x.Value);
        Assert.Equal(1, Sum("snomactors_settings_downloads_total", x => x.Label("status") == "200"));
        Assert.Equal(1, Sum("snomactors_settings_downloads_total", x => x.Label("status") == "404"));
        Assert.Equal(1, Sum("snomactors_download_refusals_total", x => x.Label("protection") == "token"));
        Assert.True(Sum("snomactors_admin_auth_failures_total") >= 1, "the wrong admin token was not counted");
        Assert.Contains("snomactors_auth_backoff_refusals_total", families.Keys);
        Assert.Equal(1, Sum("snomactors_notify_outcomes_total", x => x.Label("outcome") == "acknowledged"));
        Assert.Equal("histogram", families["snomactors_subscribe_to_notify_ack_seconds"].Type);
        Assert.Equal(1, Sum("snomactors_subscribe_to_notify_ack_seconds", x => x.Name.EndsWith("_count", StringComparison.Ordinal)));
    }
}
