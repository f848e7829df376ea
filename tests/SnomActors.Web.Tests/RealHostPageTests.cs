using System.Text;
using Microsoft.Playwright;
using SnomActors.EndToEnd.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace SnomActors.Web.Tests;

/// <summary>
/// The page as the daemon serves it (embedded in SnomActors.Http), in headless Chromium, against
/// the real API and a real SQLite registry: the operator's flows of issue 3 end to end.
/// </summary>
public sealed class RealHostPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private RealHost _host = null!;
    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        _host = await RealHost.StartAsync();
        _page = await browser.NewPageAsync(_host.BaseUrl);
    }

    public async Task DisposeAsync()
    {
        await _page.Context.CloseAsync();
        await _host.DisposeAsync();
    }

    private static readonly TimeSpan PhoneWait = TimeSpan.FromSeconds(10);

    private ILocator Row(string mac) => _page.Locator($"tr[data-testid=device-row][data-mac='{mac}']");

    private async Task OpenAsync(string hash = "")
    {
        await _page.GotoAsync("/" + hash);
        await Expect(_page.GetByTestId("live-status")).ToHaveAttributeAsync("data-state", "live");
    }

    private static FilePayload File(string name, string mime, string content) =>
        new() { Name = name, MimeType = mime, Buffer = Encoding.UTF8.GetBytes(content) };

    private async Task LoadSettingsAsync(string name, string xml, string scope = "general", string? key = null)
    {
        await _page.GetByTestId("settings-scope").SelectOptionAsync(scope);
        if (key is not null) await _page.GetByTestId("settings-key").FillAsync(key);
        await _page.GetByTestId("settings-file").SetInputFilesAsync(File(name, "application/xml", xml));
        await _page.GetByTestId("settings-load").ClickAsync();
    }

    [Fact]
    public async Task The_daemon_serves_the_page_itself_with_no_outside_resources()
    {
        var external = new List<string>();
        _page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(_host.BaseUrl, StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
                external.Add(request.Url);
        };
        await OpenAsync();
        await Expect(_page).ToHaveTitleAsync(new System.Text.RegularExpressions.Regex("SnomActors"));
        await Expect(_page.GetByTestId("devices-empty")).ToBeVisibleAsync();
        Assert.Empty(external);
    }

    [Fact]
    public async Task A_valid_settings_file_is_validated_listed_and_previewed_and_a_broken_one_shows_line_and_column()
    {
        await OpenAsync("#settings");
        await LoadSettingsAsync("snom.xml", "<settings>\n  <phone-settings>\n    <language perm=\"\">English</language>\n    <http_user>{mac}</http_user>\n  </phone-settings>\n</settings>\n");
        await Expect(_page.GetByTestId("settings-ok")).ToContainTextAsync("well-formed");
        await Expect(_page.GetByTestId("settings-ok")).ToContainTextAsync("general document version 1");
        await Expect(_page.Locator("[data-testid=settings-doc-row][data-scope=general]")).ToHaveCountAsync(1);

        await _page.GetByTestId("settings-again").ClickAsync();
        await LoadSettingsAsync("broken.xml", "<settings>\n  <phone-settings>\n    <language perm=\"\">English</language>\n</settings>\n");
        var error = _page.GetByTestId("settings-error");
        await Expect(error).ToHaveCountAsync(1);
        await Expect(error).ToHaveAttributeAsync("data-line", "4");
        await Expect(error).ToContainTextAsync("Line 4, column 3");
        // Still one version: the broken file was not stored.
        await Expect(_page.GetByTestId("doc-version")).ToHaveTextAsync("v1");

        await _page.GetByTestId("preview-mac").FillAsync("00:04:13:25:C4:3A");
        await _page.GetByTestId("preview-go").ClickAsync();
        await Expect(_page.GetByTestId("preview-source")).ToContainTextAsync("general document version 1");
        await Expect(_page.GetByTestId("preview-content")).ToContainTextAsync("<http_user>00041325c43a</http_user>");
    }

    [Fact]
    public async Task A_second_version_shows_in_the_history_with_a_coloured_diff()
    {
        await OpenAsync("#settings");
        await LoadSettingsAsync("v1.xml", "<settings>\n<language perm=\"\">English</language>\n</settings>\n", "model", "snom360");
        await Expect(_page.GetByTestId("settings-ok")).ToContainTextAsync("model document snom360 version 1");
        await LoadSettingsAsync("v2.xml", "<settings>\n<language perm=\"\">Spanisch</language>\n</settings>\n", "model", "snom360");
        await Expect(_page.GetByTestId("settings-ok")).ToContainTextAsync("version 2");
        await _page.Locator("[data-testid=settings-doc-row][data-scope=model]").GetByTestId("doc-history").ClickAsync();
        await Expect(_page.GetByTestId("version-row")).ToHaveCountAsync(2);
        await _page.GetByTestId("diff-go").ClickAsync();
        await Expect(_page.Locator("[data-testid=diff-line][data-op='-']")).ToHaveTextAsync("<language perm=\"\">English</language>");
        await Expect(_page.Locator("[data-testid=diff-line][data-op='+']")).ToHaveTextAsync("<language perm=\"\">Spanisch</language>");
    }

    [Fact]
    public async Task A_CSV_import_reports_each_row_and_the_variables_reach_the_device()
    {
        await OpenAsync("#bulk");
        await _page.GetByTestId("import-file").SetInputFilesAsync(File("phones.csv", "text/csv",
            "mac,extension,display_name\n00:04:13:00:00:01,201,Reception\nnot-a-mac,202,Kitchen\n000413000003,203,Office\n"));
        await _page.GetByTestId("import-go").ClickAsync();
        await Expect(_page.GetByTestId("import-summary")).ToHaveTextAsync("phones.csv: 2 accepted, 1 rejected.");
        var rejected = _page.Locator("[data-testid=import-row][data-status=rejected]");
        await Expect(rejected).ToHaveCountAsync(1);
        await Expect(rejected).ToHaveAttributeAsync("data-line", "3");
        var variables = await _host.Http.GetStringAsync("api/variables/000413000001");
        Assert.Contains("Reception", variables, StringComparison.Ordinal);
    }

    [Fact]
    public async Task From_the_page_alone_an_operator_uploads_settings_imports_100_phones_boots_them_simulated_and_sees_what_each_downloaded()
    {
        await OpenAsync("#settings");
        await LoadSettingsAsync("general.xml",
            "<settings><phone-settings><user_name idx=\"1\" perm=\"\">{extension}</user_name>" +
            "<user_realname idx=\"1\" perm=\"\">{display_name}</user_realname></phone-settings></settings>\n");
        await Expect(_page.GetByTestId("settings-ok")).ToContainTextAsync("general document version 1");

        // 100 accounts over six vendors' OUIs and one the simulator does not know.
        string[] ouis = ["000413", "805ec0", "000b82", "7c2f80", "0c383e", "0080f0", "aabbcc"];
        var macs = Enumerable.Range(0, 100).Select(i => ouis[i % ouis.Length] + i.ToString("x6", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var csv = new StringBuilder("mac,extension,display_name\n");
        foreach (var (mac, i) in macs.Select((m, i) => (m, i))) csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"{mac},{300 + i},\"Desk {i} & <Co>\"\n");
        await _page.GetByTestId("tab-bulk").ClickAsync();
        await _page.GetByTestId("import-file").SetInputFilesAsync(File("phones.csv", "text/csv", csv.ToString()));
        await _page.GetByTestId("import-go").ClickAsync();
        await Expect(_page.GetByTestId("import-summary")).ToHaveTextAsync("phones.csv: 100 accepted, 0 rejected.");

        // The boot button asks once more before it boots anything.
        await _page.GetByTestId("simboot-rate").FillAsync("200");
        await _page.GetByTestId("simboot-go").ClickAsync();
        await Expect(_page.GetByTestId("simboot-go")).ToHaveTextAsync("Click again to boot them");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await _host.Http.GetAsync("api/simulations/current")).StatusCode);
        await _page.GetByTestId("simboot-go").ClickAsync();
        await Expect(_page.GetByTestId("simboot-progress-text")).ToContainTextAsync("of 100 provisioned");
        await Expect(_page.GetByTestId("simboot-progress-text")).ToHaveTextAsync("100 of 100 provisioned — completed", new() { Timeout = 60_000 });
        await Expect(_page.GetByTestId("simboot-summary")).ToContainTextAsync("Outcomes: provisioned 100.");
        await Expect(_page.GetByTestId("simboot-progress")).ToHaveAttributeAsync("aria-valuenow", "100");

        // Devices: every phone turned downloaded without a reload, and its detail names what it got.
        await _page.GetByTestId("tab-devices").ClickAsync();
        await Expect(_page.Locator("tr[data-testid=device-row]")).ToHaveCountAsync(100);
        await Expect(_page.GetByTestId("boot-progress-text")).ToHaveTextAsync("100 of 100 provisioned");
        foreach (var mac in new[] { macs[1], macs[6], macs[42] })
            await Expect(Row(mac).GetByTestId("state-badge")).ToHaveTextAsync("downloaded");
        await Row(macs[1]).ClickAsync();
        await Expect(_page.GetByTestId("download-row")).ToHaveCountAsync(1);
        await Expect(_page.GetByTestId("download-settings")).ToHaveTextAsync("general v1");
        var device = await _host.Http.GetStringAsync($"api/devices/{macs[1]}");
        Assert.Contains("\"vendor\":\"yealink\"", device, StringComparison.Ordinal);
        using var plain = new HttpClient();
        Assert.Contains("<user_realname idx=\"1\" perm=\"\">Desk 42 &amp; &lt;Co&gt;</user_realname>",
            await plain.GetStringAsync($"{_host.BaseUrl}settings/{macs[42]}.xml"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_device_row_turns_provisioned_then_downloaded_live_as_the_phone_goes_through_PnP()
    {
        var upload = await _host.Http.PutAsync("api/settings/general",
            new StringContent("<settings><phone-settings><user_name idx=\"1\">{mac}</user_name></phone-settings></settings>", Encoding.UTF8, "application/xml"));
        Assert.Equal(System.Net.HttpStatusCode.Created, upload.StatusCode);
        const string modelTemplate = "<settings><phone-settings><user_name idx=\"1\">{mac}</user_name><language perm=\"\">English</language></phone-settings></settings>";
        upload = await _host.Http.PutAsync("api/settings/model/snom360", new StringContent(modelTemplate, Encoding.UTF8, "application/xml"));
        Assert.Equal(System.Net.HttpStatusCode.Created, upload.StatusCode);
        await OpenAsync();
        await Expect(_page.GetByTestId("devices-empty")).ToBeVisibleAsync();
        await _page.EvaluateAsync("() => { window.__noReload = 7; }");

        // A snom 360 on a loopback UDP socket runs the real exchange against the host's PnP core.
        using var phone = PhoneSocket.OnLoopback();
        var mac = TestMessages.NewMac();
        phone.Send(TestMessages.Subscribe(phone.LocalEndPoint, mac, $"web-{Guid.NewGuid():N}", requestHost: "127.0.0.1"), _host.Sip);
        var ok = await phone.ExpectAsync("the 200 to the SUBSCRIBE", PhoneWait);
        Assert.Equal(200, ok.Message.StatusCode);
        var notify = await phone.ExpectAsync("the NOTIFY", PhoneWait);
        Assert.Equal("NOTIFY", notify.Message.Method);
        var url = notify.Message.Body.Trim();
        Assert.Equal($"{_host.BaseUrl}settings/{mac}.xml", url);

        // Until the phone answers its NOTIFY the row says so.
        await Expect(Row(mac).GetByTestId("state-badge")).ToHaveTextAsync("notified");
        await Expect(Row(mac).GetByTestId("device-mac")).ToHaveTextAsync(string.Join(':', Enumerable.Range(0, 6).Select(i => mac.Substring(i * 2, 2))));

        phone.Answer(notify);
        await Expect(Row(mac).GetByTestId("state-badge")).ToHaveTextAsync("provisioned");
        await Expect(_page.GetByTestId("boot-progress-text")).ToHaveTextAsync("1 of 1 provisioned");

        // Then it fetches the URL its NOTIFY carried, as the phone does.
        using var http = new HttpClient();
        using var download = await http.GetAsync(url);
        Assert.Equal(System.Net.HttpStatusCode.OK, download.StatusCode);
        Assert.Contains($"<user_name idx=\"1\">{mac}</user_name>", await download.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await Expect(Row(mac).GetByTestId("state-badge")).ToHaveTextAsync("downloaded");
        Assert.Equal(7, await _page.EvaluateAsync<int>("() => window.__noReload"));

        // The detail names what it downloaded, and shows that version as stored.
        await Row(mac).ClickAsync();
        await Expect(_page.GetByTestId("download-row")).ToHaveCountAsync(1);
        await Expect(_page.GetByTestId("detail-steps")).ToContainTextAsync("Settings downloaded");
        var served = _page.GetByTestId("download-settings");
        await Expect(served).ToHaveTextAsync("model snom360 v1");
        await Expect(_page.GetByTestId("download-row")).ToHaveAttributeAsync("data-method", "GET");
        await served.ClickAsync();
        await Expect(_page.GetByTestId("detail-served-title")).ToContainTextAsync("the model document snom360 version 1");
        await Expect(_page.GetByTestId("detail-served-content")).ToHaveTextAsync(modelTemplate);
    }

    [Fact]
    public async Task A_phone_that_never_booted_can_be_previewed_as_its_model_and_vendor()
    {
        await OpenAsync("#settings");
        await LoadSettingsAsync("general.xml", "<settings><who>general {mac}</who></settings>");
        await Expect(_page.GetByTestId("settings-ok")).ToContainTextAsync("general document version 1");
        await _page.GetByTestId("settings-again").ClickAsync();
        await LoadSettingsAsync("d735.xml", "<settings><who>{model} {mac}</who></settings>", "model", "snom-D735");
        await Expect(_page.GetByTestId("settings-ok")).ToContainTextAsync("model document snom-D735 version 1");
        await _page.GetByTestId("settings-again").ClickAsync();
        await LoadSettingsAsync("yealink.xml", "<settings><who>yealink {mac}</who></settings>", "vendor", "yealink");
        await Expect(_page.GetByTestId("settings-ok")).ToContainTextAsync("vendor document yealink version 1");

        // Unknown to the registry: without a model it gets the general document …
        await _page.GetByTestId("preview-mac").FillAsync("00:04:13:77:00:01");
        await _page.GetByTestId("preview-go").ClickAsync();
        await Expect(_page.GetByTestId("preview-source")).ToContainTextAsync("the general document version 1");
        await Expect(_page.GetByTestId("preview-content")).ToContainTextAsync("<who>general 000413770001</who>");

        // … and as the model it will be, that model's document, rendered with that model.
        await _page.GetByTestId("preview-model").FillAsync("snom-D735");
        await _page.GetByTestId("preview-go").ClickAsync();
        await Expect(_page.GetByTestId("preview-source")).ToContainTextAsync("as snom-D735 downloads the model document snom-d735 version 1");
        await Expect(_page.GetByTestId("preview-content")).ToContainTextAsync("<who>snom-D735 000413770001</who>");

        await _page.GetByTestId("preview-model").FillAsync("");
        await _page.GetByTestId("preview-vendor").FillAsync("yealink");
        await _page.GetByTestId("preview-go").ClickAsync();
        await Expect(_page.GetByTestId("preview-source")).ToContainTextAsync("the vendor document yealink version 1");
        await Expect(_page.GetByTestId("preview-content")).ToContainTextAsync("<who>yealink 000413770001</who>");
    }
}
