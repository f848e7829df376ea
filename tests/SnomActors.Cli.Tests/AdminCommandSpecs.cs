using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SnomActors.Cli.Tests.Support;

namespace SnomActors.Cli.Tests;

/// <summary>
/// <c>devices</c>, <c>settings</c>, <c>import</c> and <c>resync</c> against the daemon's real HTTP side
/// (Kestrel, registry on SQLite, resync coordinator) in-process.
/// </summary>
public sealed class AdminCommandSpecs : IAsyncLifetime
{
    private const string GoodXml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<settings>\n  <phone-settings>\n    <user_name idx=\"1\" perm=\"\">{mac}</user_name>\n  </phone-settings>\n</settings>\n";

    private RealDaemonHttp _daemon = null!;
    private readonly string _work = Directory.CreateTempSubdirectory("snomactors-cli-files-").FullName;

    public async Task InitializeAsync() => _daemon = await RealDaemonHttp.StartAsync();

    public async Task DisposeAsync()
    {
        await _daemon.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(_work, name);
        File.WriteAllText(path, content);
        return path;
    }

    private Task<(int Exit, string Out, string Err)> Run(params string[] args) =>
        AdminCli.RunAsync([.. args, "--server", _daemon.Url]);

    // ---- settings upload ------------------------------------------------------------------------

    [Fact]
    public async Task Uploading_the_general_file_twice_stores_version_1_then_version_2_and_prints_scope_key_version_and_sha256()
    {
        var file = WriteFile("general.xml", GoodXml);

        var first = await Run("settings", "upload", file);
        var second = await Run("settings", "upload", file, "--author", "alice");

        Assert.True(first.Exit == 0, first.Err);
        Assert.True(second.Exit == 0, second.Err);
        Assert.Contains("scope:   general", first.Out);
        Assert.Contains("key:     (general)", first.Out);
        Assert.Contains("version: 1", first.Out);
        Assert.Contains("version: 2", second.Out);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file)));
        Assert.Contains($"sha256:  {sha}", second.Out);
        var versions = await _daemon.Client.GetFromJsonAsync<JsonElement>("/api/settings/general/versions");
        Assert.Equal(2, versions.GetArrayLength());
        Assert.Contains(versions.EnumerateArray(), v => v.GetProperty("version").GetInt32() == 2 && v.GetProperty("author").GetString() == "alice");

        var list = await Run("settings", "versions");
        Assert.True(list.Exit == 0, list.Err);
        var lines = list.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("VERSION", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.Contains("alice", lines[1]); // newest first
    }

    [Fact]
    public async Task Uploading_with_a_mac_selector_stores_the_document_of_that_phone_under_its_normalised_mac()
    {
        var file = WriteFile("phone.xml", GoodXml);

        var (exit, output, error) = await Run("settings", "upload", file, "--mac", "00:04:13:29:88:2C");

        Assert.True(exit == 0, error);
        Assert.Contains("scope:   mac", output);
        Assert.Contains("key:     00041329882c", output);
        var stored = await _daemon.Client.GetStringAsync("/api/settings/mac/00041329882c/versions/1");
        Assert.Equal(GoodXml, stored);

        var listed = await Run("settings", "list");
        Assert.True(listed.Exit == 0, listed.Err);
        Assert.Matches(@"(?m)^mac\s+00041329882c\s+1\s", listed.Out);
    }

    [Fact]
    public async Task Uploading_broken_XML_shows_each_error_with_line_and_column_exits_1_and_stores_nothing()
    {
        var file = WriteFile("broken.xml", "<settings>\n  <phone-settings>\n    <user_name>x</user_nam>\n  </phone-settings>\n</settings>\n");

        var (exit, output, error) = await Run("settings", "upload", file, "--model", "snom360");

        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, output);
        Assert.Contains("snomactors settings upload: Bad request: The document is not well-formed XML.", error);
        Assert.Matches(@"line 3, column \d+: ", error);
        var versions = await _daemon.Client.GetAsync("/api/settings/model/snom360/versions");
        Assert.Equal(HttpStatusCode.NotFound, versions.StatusCode);
    }

    [Fact]
    public async Task Uploading_with_two_selectors_exits_2_naming_both_options_and_sends_nothing()
    {
        var file = WriteFile("general.xml", GoodXml);

        var (exit, _, error) = await Run("settings", "upload", file, "--mac", "000413298820", "--vendor", "snom");

        Assert.Equal(2, exit);
        Assert.Contains("--mac and --vendor", error);
        Assert.Contains("exclude each other", error);
        var list = await _daemon.Client.GetFromJsonAsync<JsonElement>("/api/settings");
        Assert.Equal(0, list.GetArrayLength());
    }

    [Fact]
    public async Task Uploading_a_file_that_does_not_exist_exits_2_naming_the_file()
    {
        var missing = Path.Combine(_work, "nope.xml");

        var (exit, _, error) = await Run("settings", "upload", missing);

        Assert.Equal(2, exit);
        Assert.Contains($"cannot read {missing}: no such file", error);
    }

    // ---- import ---------------------------------------------------------------------------------

    [Fact]
    public async Task Importing_a_CSV_with_one_bad_row_imports_the_others_names_the_bad_line_and_exits_1()
    {
        var csv = WriteFile("vars.csv", "mac,display_name,extension\n000413298820,Reception,100\nnot-a-mac,Nobody,101\n00:04:13:29:88:21,Kitchen,102\n");

        var (exit, output, error) = await Run("import", csv);

        Assert.True(exit == 1, $"exit {exit}\n{output}\n{error}");
        Assert.Contains("2 rows accepted, 1 rejected (merge).", output);
        Assert.Matches(@"(?m)^LINE\s+MAC\s+REASON$", output);
        Assert.Matches(@"(?m)^3\s+not-a-mac\s+\S", output);
        var vars = await _daemon.Client.GetFromJsonAsync<Dictionary<string, string>>("/api/variables/000413298821");
        Assert.Equal("Kitchen", vars!["display_name"]);
    }

    [Fact]
    public async Task Importing_a_clean_CSV_exits_0()
    {
        var csv = WriteFile("vars.csv", "mac,extension\n000413298820,100\n");

        var (exit, output, error) = await Run("import", csv, "--replace");

        Assert.True(exit == 0, error);
        Assert.Contains("1 row accepted, 0 rejected (replace).", output);
        Assert.DoesNotContain("LINE", output);
    }

    // ---- devices --------------------------------------------------------------------------------

    [Fact]
    public async Task Devices_lists_a_provisioned_phone_with_its_colon_mac_vendor_model_firmware_ip_and_state()
    {
        await _daemon.ProvisionAsync("000413298820", new IPEndPoint(IPAddress.Parse("10.20.30.40"), 5060));
        await _daemon.ProvisionAsync("805ec0aabbcc", new IPEndPoint(IPAddress.Parse("10.20.30.41"), 5062), "yealink", "T46S", "66.86.0.15");

        var (exit, output, error) = await Run("devices");

        Assert.True(exit == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^MAC\s+VENDOR\s+MODEL\s+FIRMWARE\s+IP\s+STATE\s+LAST STEP$", lines[0]);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l,
            @"^00:04:13:29:88:20\s+snom\s+snom360\s+8\.7\.5\.35\s+10\.20\.30\.40\s+provisioned\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$"));
        Assert.Contains(lines, l => l.StartsWith("80:5e:c0:aa:bb:cc", StringComparison.Ordinal) && l.Contains("yealink", StringComparison.Ordinal));
        Assert.Equal("2 devices", lines[^1]);

        var filtered = await Run("devices", "--vendor", "yealink");
        Assert.DoesNotContain("00:04:13:29:88:20", filtered.Out);
        Assert.Contains("80:5e:c0:aa:bb:cc", filtered.Out);
        Assert.Equal("No devices match.", (await Run("devices", "--search", "zzzz")).Out.Trim());
    }

    [Fact]
    public async Task Devices_json_prints_the_APIs_document()
    {
        await _daemon.ProvisionAsync("000413298820", new IPEndPoint(IPAddress.Parse("10.20.30.40"), 5060));

        var (exit, output, error) = await Run("devices", "--json", "--state", "provisioned");

        Assert.True(exit == 0, error);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(1, doc.RootElement.GetProperty("total").GetInt32());
        var device = doc.RootElement.GetProperty("items")[0];
        Assert.Equal("000413298820", device.GetProperty("mac").GetString());
        Assert.Equal("10.20.30.40", device.GetProperty("lastIp").GetString());
        Assert.Equal("provisioned", device.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Devices_with_an_unknown_state_is_a_usage_error()
    {
        var (exit, _, error) = await Run("devices", "--state", "sleeping");

        Assert.Equal(2, exit);
        Assert.Contains("'sleeping' is not a state: expected one of seen, answered, notified, provisioned, downloaded, failed", error);
    }

    // ---- resync ---------------------------------------------------------------------------------

    [Fact]
    public async Task Resync_of_an_unknown_mac_prints_the_404_and_exits_1()
    {
        var (exit, output, error) = await Run("resync", "00:04:13:00:00:01");

        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, output);
        Assert.Equal("snomactors resync: Not found: No device 000413000001.", error.Trim());
        Assert.Empty(_daemon.Sent.Items);
    }

    [Fact]
    public async Task Resync_of_a_known_phone_sends_a_check_sync_to_the_address_it_last_used_and_wait_prints_its_200()
    {
        var phone = new IPEndPoint(IPAddress.Parse("10.20.30.40"), 5071);
        await _daemon.ProvisionAsync("000413298820", phone);

        var (exit, output, error) = await Run("resync", "00-04-13-29-88-20", "--reboot", "--wait");

        Assert.True(exit == 0, error);
        Assert.Contains("Queued check-sync (reboot=true) for 00:04:13:29:88:20", output);
        Assert.Matches(@"(?m)^00:04:13:29:88:20\s+10\.20\.30\.40:5071\s+200\s+200 OK\s+", output);
        var sent = Assert.Single(_daemon.Sent.Items);
        Assert.Equal(phone, sent.Target);
        Assert.Equal("000413298820", sent.Mac);
        Assert.True(sent.Reboot);
        var status = await _daemon.Client.GetFromJsonAsync<JsonElement>("/api/resync");
        Assert.Equal(200, status.GetProperty("recent")[0].GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Resync_all_queues_every_phone_with_an_address_and_the_coordinator_sends_each_once()
    {
        await _daemon.ProvisionAsync("000413298820", new IPEndPoint(IPAddress.Parse("10.20.30.40"), 5060));
        await _daemon.ProvisionAsync("000413298821", new IPEndPoint(IPAddress.Parse("10.20.30.41"), 5060));
        await _daemon.ProvisionAsync("000413298822", new IPEndPoint(IPAddress.Parse("10.20.30.42"), 5060));

        var (exit, output, error) = await Run("resync", "--all");

        Assert.True(exit == 0, error);
        Assert.Contains("Queued check-sync (reboot=false) for 3 phones", output);
        await RealDaemonHttp.Eventually(() => Task.FromResult(_daemon.Sent.Items.Count == 3));
        Assert.Equal(["000413298820", "000413298821", "000413298822"], _daemon.Sent.Items.Select(s => s.Mac).Order(StringComparer.Ordinal));
        Assert.All(_daemon.Sent.Items, s => Assert.False(s.Reboot));
    }

    [Fact]
    public async Task Resync_with_both_a_mac_and_all_or_with_neither_exits_2()
    {
        var both = await Run("resync", "000413298820", "--all");
        var neither = await Run("resync");
        var bad = await Run("resync", "0004132988");

        Assert.Equal(2, both.Exit);
        Assert.Contains("either a MAC or --all, not both", both.Err);
        Assert.Equal(2, neither.Exit);
        Assert.Contains("give the MAC of a phone, or --all", neither.Err);
        Assert.Equal(2, bad.Exit);
        Assert.Contains("'0004132988' is not a MAC address", bad.Err);
        Assert.Empty(_daemon.Sent.Items);
    }

    [Fact]
    public async Task Resync_api_refuses_a_bad_mac_with_400_and_a_bare_post_without_all_true()
    {
        var badMac = await _daemon.Client.PostAsync("/api/devices/xyz/resync", null);
        var noAll = await _daemon.Client.PostAsync("/api/resync", null);
        var badReboot = await _daemon.Client.PostAsync("/api/resync?all=true&reboot=maybe", null);

        Assert.Equal(HttpStatusCode.BadRequest, badMac.StatusCode);
        Assert.Equal("application/problem+json", badMac.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, noAll.StatusCode);
        Assert.Contains("all=true", await noAll.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, badReboot.StatusCode);
        Assert.Empty(_daemon.Sent.Items);
    }

    [Fact]
    public async Task The_resync_endpoints_are_in_the_OpenAPI_document()
    {
        var doc = await _daemon.Client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = doc.GetProperty("paths");

        Assert.True(paths.GetProperty("/api/devices/{mac}/resync").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/api/resync").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/api/resync").TryGetProperty("get", out _));
    }
}

/// <summary>Resync on a daemon process that runs the HTTP side without SIP.</summary>
public sealed class ResyncWithoutSipSpecs
{
    [Fact]
    public async Task Resync_answers_503_when_no_resync_coordinator_runs_in_the_process()
    {
        await using var daemon = await RealDaemonHttp.StartAsync(withResync: false);
        await daemon.ProvisionAsync("000413298820", new IPEndPoint(IPAddress.Parse("10.20.30.40"), 5060));

        var (exit, _, error) = await AdminCli.RunAsync("resync", "000413298820", "--server", daemon.Url);

        Assert.Equal(1, exit);
        Assert.Contains("Push re-provisioning is not available", error);
    }

    [Fact]
    public async Task Wait_reports_a_phone_that_never_answered_and_exits_1()
    {
        await using var daemon = await RealDaemonHttp.StartAsync(phoneAnswer: null);
        await daemon.ProvisionAsync("000413298820", new IPEndPoint(IPAddress.Parse("10.20.30.40"), 5060));

        var (exit, output, error) = await AdminCli.RunAsync("resync", "000413298820", "--wait", "--server", daemon.Url);

        Assert.True(exit == 1, $"exit {exit}\n{output}\n{error}");
        Assert.True(output.Contains("Timer F", StringComparison.Ordinal), output + "\n---\n" + error);
        Assert.Contains("1 of 1 phone did not accept the check-sync", error);
    }
}
