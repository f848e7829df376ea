using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SnomActors.Cli.Api;
using SnomActors.Cli.Tests.Support;

namespace SnomActors.Cli.Tests;

/// <summary><c>status</c> and <c>monitor --once</c> against a fake daemon serving canned answers.</summary>
public sealed class DaemonCommandSpecs
{
    [Fact]
    public async Task Monitor_once_prints_the_numbers_the_daemon_serves()
    {
        await using var daemon = await CannedDaemon.StartAsync();

        var (exit, output, error) = await CliRunner.RunAsync("monitor", "--once", "--server", daemon.Url);

        Assert.True(exit == 0, error);
        Assert.Equal(string.Empty, error);
        Assert.DoesNotContain('\u001b', output); // --once is plain text
        Assert.Contains($"SnomActors monitor - {daemon.Url}", output);
        Assert.Contains("ready (SIP 0.0.0.0:5060)", output);
        Assert.Contains("1d 02:03:04", output);
        Assert.Contains($"live {CannedDaemon.LiveDialogs} ", output);
        Assert.Contains($"{CannedDaemon.Acknowledged} completed", output);
        Assert.Contains($"2xx {CannedDaemon.Sent200}", output);
        Assert.Contains($"4xx {CannedDaemon.Sent489}", output);
        Assert.Contains($"5xx {CannedDaemon.Sent503}", output);
        Assert.Contains($"2xx {CannedDaemon.Acknowledged}", output);
        Assert.Contains($"4xx {CannedDaemon.NotifyRejected486}", output);
        Assert.Contains($"timeout {CannedDaemon.NotifyTimeouts}", output);
        Assert.Contains($"retransmitted {CannedDaemon.Retransmissions}", output);
        Assert.Contains($"dialog-cap {CannedDaemon.ShedDialogCap}", output);
        Assert.Contains($"{CannedDaemon.Devices} known", output);
        Assert.Contains($"provisioned {CannedDaemon.Provisioned}", output);
        Assert.Contains($"{CannedDaemon.Provisioned}/4000 provisioned (98%)", output);
        Assert.Contains("180 provisioned", output); // the last hour's timeline, summed
        Assert.Contains("000413aabb01", output);
        Assert.Contains("10.20.0.77", output);
        Assert.Contains("c074adee0003", output);
        Assert.Contains("Timer F: no final response to the NOTIFY", output);
        // It asked for what it showed, and nothing that needs a credential it does not have.
        var asked = daemon.Requests.Select(r => r.PathAndQuery).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["/api/devices?limit=8", "/api/devices?state=failed&limit=8", "/api/stats", "/health/ready", "/metrics"], asked);
        Assert.All(daemon.Requests, r => Assert.Null(r.Authorization));
    }

    [Fact]
    public async Task The_token_option_is_sent_as_Bearer_and_wins_over_the_admin_token_file_under_data()
    {
        await using var daemon = await CannedDaemon.StartAsync();
        var data = Directory.CreateTempSubdirectory("snomactors-data-");
        try
        {
            File.WriteAllText(Path.Combine(data.FullName, AdminCredential.TokenFileName), "token-from-the-file\n");

            var (withOption, _, optionError) = await CliRunner.RunAsync("status", "--server", daemon.Url, "--data", data.FullName, "--token", "token-from-the-option");
            var sentWithOption = daemon.Requests.Select(r => r.Authorization).ToList();
            daemon.Requests.Clear();
            var (fromFile, _, fileError) = await CliRunner.RunAsync("status", "--server", daemon.Url, "--data", data.FullName);

            Assert.True(withOption == 0, optionError);
            Assert.True(fromFile == 0, fileError);
            Assert.NotEmpty(sentWithOption);
            Assert.All(sentWithOption, a => Assert.Equal("Bearer token-from-the-option", a));
            Assert.NotEmpty(daemon.Requests);
            Assert.All(daemon.Requests, r => Assert.Equal("Bearer token-from-the-file", r.Authorization));
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    [Fact]
    public void Every_command_that_talks_to_the_daemon_takes_server_data_and_token()
    {
        var root = new System.CommandLine.RootCommand("test")
        {
            SnomActors.Cli.Commands.StatusCommand.Create(), SnomActors.Cli.Commands.MonitorCommand.Create(),
            SnomActors.Cli.Commands.DevicesCommand.Create(), SnomActors.Cli.Commands.SettingsCommand.Create(),
            SnomActors.Cli.Commands.ImportCommand.Create(), SnomActors.Cli.Commands.ResyncCommand.Create(),
        };
        var leaves = Leaves(root).ToList();

        Assert.Equal(8, leaves.Count); // status, monitor, devices, settings upload/list/versions, import, resync
        foreach (var command in leaves)
        {
            var names = command.Options.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
            Assert.True(names.IsSupersetOf(["--server", "--data", "--token"]), $"{command.Name}: {string.Join(' ', names)}");
        }

        static IEnumerable<System.CommandLine.Command> Leaves(System.CommandLine.Command c) =>
            c.Subcommands.Count == 0 ? [c] : c.Subcommands.SelectMany(Leaves);
    }

    [Fact]
    public async Task Status_prints_one_JSON_document_with_readiness_and_the_stats_as_served()
    {
        await using var daemon = await CannedDaemon.StartAsync();

        var (exit, output, error) = await CliRunner.RunAsync("status", "--server", daemon.Url);

        Assert.True(exit == 0, error);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("ready").GetBoolean());
        Assert.Equal(daemon.Url, root.GetProperty("server").GetString());
        Assert.Equal("0.0.0.0:5060", root.GetProperty("health").GetProperty("sip")[0].GetString());
        var stats = root.GetProperty("stats");
        Assert.Equal(CannedDaemon.Devices, stats.GetProperty("devices").GetInt32());
        Assert.Equal(CannedDaemon.LiveDialogs, stats.GetProperty("liveDialogs").GetInt32());
        Assert.Equal(CannedDaemon.Provisioned, stats.GetProperty("byState").GetProperty("provisioned").GetInt32());
        Assert.True(DateTimeOffset.TryParse(root.GetProperty("at").GetString(), out _));
    }

    [Fact]
    public async Task Status_exits_3_with_the_snapshot_when_the_daemon_answers_but_is_not_ready()
    {
        await using var daemon = await CannedDaemon.StartAsync(ready: false);

        var (exit, output, _) = await CliRunner.RunAsync("status", "--server", daemon.Url);

        Assert.Equal(3, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.False(doc.RootElement.GetProperty("ready").GetBoolean());
        Assert.Equal("SIP transport not bound yet", doc.RootElement.GetProperty("health").GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_unreachable_daemon_is_one_clear_line_and_exit_code_69()
    {
        // A port that was free a moment ago and has nobody listening now.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        foreach (var command in new[] { "status", "monitor" })
        {
            var args = command == "monitor" ? new[] { command, "--once", "--server", $"http://127.0.0.1:{port}" } : [command, "--server", $"http://127.0.0.1:{port}"];
            var (exit, output, error) = await CliRunner.RunAsync(args);
            Assert.Equal(DaemonApiClient.ExitUnreachable, exit);
            Assert.Equal(string.Empty, output);
            Assert.Equal($"snomactors {command}: cannot reach the daemon at http://127.0.0.1:{port}: connection refused. " +
                         "Is it running (systemctl status snomactors) and is --server right?", error.TrimEnd());
        }
    }

    [Fact]
    public async Task A_problem_answer_is_printed_as_command_title_and_detail_with_its_error_list()
    {
        await using var daemon = await FakeDaemon.StartAsync();
        daemon.Json("/health/ready", CannedDaemon.ReadyJson)
            .Problem("/api/stats", 401, """{"title":"Unauthorized","status":401,"detail":"The operator API needs authentication."}""");

        var (exit, _, error) = await CliRunner.RunAsync("status", "--server", daemon.Url);

        Assert.Equal(DaemonApiClient.ExitApiError, exit);
        Assert.Equal("snomactors status: Unauthorized: The operator API needs authentication.", error.TrimEnd());

        // The settings validator's error list is shown line by line (for the upload commands that reuse the client).
        var problem = DaemonApiClient.ProblemFrom(HttpStatusCode.BadRequest, "Bad Request", "application/problem+json",
            """{"title":"Bad request","detail":"The settings document is not well-formed XML.","errors":[{"line":3,"column":7,"message":"unexpected end tag"}]}""");
        var text = new StringWriter();
        Assert.Equal(1, DaemonApiClient.Report("settings upload", problem, text));
        Assert.Equal("snomactors settings upload: Bad request: The settings document is not well-formed XML.\n  line 3, column 7: unexpected end tag\n",
            text.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Monitor_once_keeps_going_when_metrics_are_missing_and_says_so()
    {
        await using var daemon = await FakeDaemon.StartAsync();
        daemon.Json("/health/ready", CannedDaemon.ReadyJson).Json("/api/stats", CannedDaemon.StatsJson);

        var (exit, output, _) = await CliRunner.RunAsync("monitor", "--once", "--server", daemon.Url);

        Assert.Equal(0, exit);
        Assert.Contains($"live {CannedDaemon.LiveDialogs}", output); // from /api/stats this time
        Assert.Contains("! /metrics: Not found (404)", output);
        Assert.Contains("n/a (no /metrics)", output);
    }

    [Fact]
    public async Task A_malformed_server_option_is_a_usage_error()
    {
        var (exit, _, error) = await CliRunner.RunAsync("status", "--server", "ftp://example");
        Assert.Equal(DaemonApiClient.ExitUsage, exit);
        Assert.Equal("snomactors status: invalid --server: 'ftp://example' is not an http:// or https:// URL", error.TrimEnd());

        var (badInterval, _, intervalError) = await CliRunner.RunAsync("monitor", "--interval", "0");
        Assert.NotEqual(0, badInterval);
        Assert.Contains("--interval must be between 0.1 and 3600 seconds.", intervalError);
    }

    [Fact]
    public void A_data_directory_without_admin_token_or_none_at_all_gives_no_credential_and_the_secret_never_prints()
    {
        var dir = Directory.CreateTempSubdirectory("snomactors-data-");
        try
        {
            Assert.Null(AdminCredential.TryLoad(dir.FullName));
            Assert.Null(AdminCredential.TryLoad(null));
            Assert.Equal("Bearer ***", new AdminCredential("Bearer", "s3cret").ToString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
