using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SnomActors.EndToEnd.Tests.Support;

namespace SnomActors.EndToEnd.Tests;

/// <summary>
/// Issue 3, "Done when": the operator imports 100 phones' accounts, boots them (simulated) and sees
/// what each downloaded. Against the real daemon process: the simulated phones send real SUBSCRIBEs to
/// its UDP socket, answer its NOTIFYs and fetch the URL each NOTIFY named from its Kestrel.
/// </summary>
public sealed class SimulatedBootTests
{
    // One OUI per known vendor plus one the simulator does not know (booted as snom).
    private static readonly string[] Ouis = ["000413", "805ec0", "000b82", "7c2f80", "0c383e", "0080f0", "aabbcc"];

    private static string Mac(int i) => Ouis[i % Ouis.Length] + i.ToString("x6", CultureInfo.InvariantCulture);

    private static async Task ImportPhonesAsync(HttpClient admin, int count)
    {
        var csv = new StringBuilder("mac,extension,display_name\n");
        for (var i = 0; i < count; i++) csv.Append(CultureInfo.InvariantCulture, $"{Mac(i)},{200 + i},\"O'Brien & <Sales> {i}\"\n");
        using var import = await admin.PostAsync("/api/variables/import", new StringContent(csv.ToString(), Encoding.UTF8, "text/csv"));
        Assert.True(import.IsSuccessStatusCode, $"import: {(int)import.StatusCode} {await import.Content.ReadAsStringAsync()}");
        using var put = await admin.PutAsync("/api/settings/general", new StringContent(
            "<settings><phone-settings><user_name idx=\"1\" perm=\"\">{extension}</user_name>" +
            "<user_realname idx=\"1\" perm=\"\">{display_name}</user_realname></phone-settings></settings>\n", Encoding.UTF8, "application/xml"));
        Assert.True(put.IsSuccessStatusCode, $"settings: {(int)put.StatusCode}");
    }

    private static async Task<JsonElement> WaitUntilOverAsync(HttpClient admin, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var current = await admin.GetFromJsonAsync<JsonElement>("/api/simulations/current");
            var state = current.GetProperty("state").GetString();
            if (state is not ("running" or "stopping")) return current;
            Assert.True(DateTime.UtcNow < deadline, $"the simulated boot is still {state} after {timeout}: {current}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Imported_phones_of_every_vendor_boot_get_provisioned_and_each_download_is_their_own_rendered_settings()
    {
        await using var daemon = await LoopbackDaemon.StartAsync();
        using var admin = daemon.AdminClient();
        const int Phones = 100;
        await ImportPhonesAsync(admin, Phones);

        using var start = await admin.PostAsync("/api/simulations", new StringContent("""{"rate":200}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var over = await WaitUntilOverAsync(admin, TimeSpan.FromSeconds(60));

        Assert.Equal("completed", over.GetProperty("state").GetString());
        Assert.Equal(Phones, over.GetProperty("provisioned").GetInt32());
        var byVendor = over.GetProperty("summary").GetProperty("byVendor");
        Assert.Equal(["fanvil", "gigaset", "grandstream", "panasonic", "snom", "yealink"], byVendor.EnumerateObject().Select(v => v.Name).Order());
        Assert.Equal(Phones, byVendor.EnumerateObject().Sum(v => v.Value.GetProperty("provisioned").GetInt32()));

        // What the registry (and the page) shows for each phone: its vendor from the SUBSCRIBE, every
        // step, and the download with the settings version it got.
        var devices = await admin.GetFromJsonAsync<JsonElement>("/api/devices?limit=1000");
        Assert.Equal(Phones, devices.GetProperty("total").GetInt32());
        for (var i = 0; i < Phones; i += 13)
        {
            var device = await admin.GetFromJsonAsync<JsonElement>($"/api/devices/{Mac(i)}");
            Assert.Equal("downloaded", device.GetProperty("state").GetString());
            var download = device.GetProperty("downloads")[0];
            Assert.Equal(200, download.GetProperty("status").GetInt32());
            Assert.Equal("general", download.GetProperty("settings").GetProperty("scope").GetString());
            Assert.Equal(1, download.GetProperty("settings").GetProperty("version").GetInt32());
        }
        Assert.Equal("yealink", (await admin.GetFromJsonAsync<JsonElement>($"/api/devices/{Mac(1)}")).GetProperty("vendor").GetString());
        using var plain = new HttpClient();
        var served = await plain.GetStringAsync(daemon.SettingsUrl(Mac(8)));
        Assert.Contains("<user_realname idx=\"1\" perm=\"\">O&apos;Brien &amp; &lt;Sales&gt; 8</user_realname>", served, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_loopback_exemption_the_boot_is_paced_under_the_per_source_limit_and_every_phone_gets_through()
    {
        await using var daemon = await LoopbackDaemon.StartAsync(new Dictionary<string, string>
        {
            ["SnomActors__Sip__RateExemptLoopback"] = "false",
            ["SnomActors__Sip__RatePerSource"] = "20",
            ["SnomActors__Sip__RatePerSourceBurst"] = "2",
        });
        using var admin = daemon.AdminClient();
        await ImportPhonesAsync(admin, 20);

        using var start = await admin.PostAsync("/api/simulations", new StringContent("""{"rate":500}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var started = await start.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(10, started.GetProperty("rate").GetDouble());
        Assert.Contains("Sip:RatePerSource", started.GetProperty("rateNote").GetString(), StringComparison.Ordinal);

        var over = await WaitUntilOverAsync(admin, TimeSpan.FromSeconds(60));
        Assert.Equal(20, over.GetProperty("provisioned").GetInt32());
        // Retransmissions would show phones that were shed and came back; a paced boot has none.
        Assert.Equal(0, over.GetProperty("summary").GetProperty("outcomes").EnumerateObject().Where(o => o.Name != "provisioned").Sum(o => o.Value.GetInt32()));
    }

    [Fact]
    public async Task A_second_boot_while_one_runs_is_409_and_a_daemon_stopped_mid_boot_exits_0()
    {
        var daemon = await LoopbackDaemon.StartAsync();
        try
        {
            using var admin = daemon.AdminClient();
            await ImportPhonesAsync(admin, 50);
            using (var slow = await admin.PostAsync("/api/simulations", new StringContent("""{"rate":2}""", Encoding.UTF8, "application/json")))
                Assert.Equal(HttpStatusCode.Accepted, slow.StatusCode);
            using (var second = await admin.PostAsync("/api/simulations", null))
                Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
            await Task.Delay(1500);
        }
        finally
        {
            await daemon.DisposeAsync();
        }
        Assert.Equal(0, daemon.Termination?.ExitCode);
        Assert.True(daemon.Termination?.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {daemon.Termination?.Elapsed}");
    }

    [Fact]
    public async Task Simulate_with_the_import_csv_as_macs_boots_exactly_those_phones_each_as_its_vendor()
    {
        await using var daemon = await LoopbackDaemon.StartAsync();
        using var admin = daemon.AdminClient();
        await ImportPhonesAsync(admin, 14);
        var csv = Path.Combine(daemon.DataDirectory, "phones.csv");
        var lines = new StringBuilder("extension,mac\n");
        for (var i = 0; i < 14; i++) lines.Append(CultureInfo.InvariantCulture, $"{200 + i},{string.Join(':', Enumerable.Range(0, 6).Select(j => Mac(i).Substring(j * 2, 2)))}\n");
        await File.WriteAllTextAsync(csv, lines.ToString());

        using var simulate = SimulateProcess.Start(["--target", daemon.Sip.ToString(), "--macs", csv, "--rate", "0", "--timeout", "60"]);
        var report = await simulate.WaitForReportAsync(TimeSpan.FromSeconds(90));

        Assert.True(report.ExitCode == 0, report.Context);
        Assert.Equal(14, report.Provisioned);
        var devices = await admin.GetFromJsonAsync<JsonElement>("/api/devices?limit=100");
        Assert.Equal(Enumerable.Range(0, 14).Select(Mac).Order(), devices.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("mac").GetString()!).Order());
        Assert.Equal("gigaset", (await admin.GetFromJsonAsync<JsonElement>($"/api/devices/{Mac(3)}")).GetProperty("vendor").GetString());
    }

    [Fact]
    public async Task Simulate_refuses_a_macs_file_with_a_bad_line_naming_it_and_macs_with_phones()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "mac\n000413000001\n00:04:13:zz:00:02\n");
            using (var bad = SimulateProcess.Start(["--target", "127.0.0.1:9", "--macs", file]))
            {
                var error = await Assert.ThrowsAsync<InvalidOperationException>(() => bad.WaitForReportAsync(TimeSpan.FromSeconds(30)));
                Assert.Contains("exit: 2", error.Message, StringComparison.Ordinal);
                Assert.Contains($"--macs {file}: line 3: '00:04:13:zz:00:02' is not a MAC address", error.Message, StringComparison.Ordinal);
            }
            using var both = SimulateProcess.Start(["--target", "127.0.0.1:9", "--macs", file, "--phones", "5"]);
            var conflict = await Assert.ThrowsAsync<InvalidOperationException>(() => both.WaitForReportAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("Give --macs FILE or --phones N, not both", conflict.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Switched_off_by_configuration_the_daemon_refuses_with_403()
    {
        await using var daemon = await LoopbackDaemon.StartAsync(new Dictionary<string, string> { ["SnomActors__Http__SimulatedBoot"] = "false" });
        using var admin = daemon.AdminClient();
        using var response = await admin.PostAsync("/api/simulations", new StringContent("""{"macs":["000413000001"]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
