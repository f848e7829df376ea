using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SnomActors.Web.Tests;

/// <summary>
/// The page against a canned API: what it shows for given JSON and events, and which requests
/// it makes. The flows through the real host are in <see cref="RealHostPageTests"/>.
/// </summary>
public abstract class FakeApiPageTestBase(BrowserFixture browser) : IAsyncLifetime
{
    private protected FakeApi _api = null!;
    private protected IPage _page = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeApi.StartAsync();
        foreach (var (mac, state, model) in new[]
                 {
                     ("000413250001", "downloaded", "snom360"), ("000413250002", "notified", "snom370"),
                     ("000413250003", "failed", "snom360"), ("805ec0000004", "provisioned", "T46S"),
                 })
        {
            var vendor = mac.StartsWith("805ec0", StringComparison.Ordinal) ? "yealink" : "snom";
            _api.Devices[mac] = FakeApi.Device(mac, state, model, vendor, $"10.0.0.{mac[^1]}");
        }
        _api.Stats = JsonNode.Parse("""
            { "devices": 4, "byState": { "seen": 0, "answered": 0, "notified": 1, "provisioned": 1, "downloaded": 1, "failed": 1 },
              "liveDialogs": 1, "boot": { "started": "2025-11-26T09:30:00Z", "total": 10, "provisioned": 4 },
              "timeline": [ { "at": "2025-11-26T09:30:00Z", "provisioned": 1 }, { "at": "2025-11-26T09:30:10Z", "provisioned": 3 },
                            { "at": "2025-11-26T09:30:20Z", "provisioned": 0 } ] }
            """)!.AsObject();
        _page = await browser.NewPageAsync(_api.BaseUrl);
    }

    public async Task DisposeAsync()
    {
        await _page.Context.CloseAsync();
        await _api.DisposeAsync();
    }

    private protected ILocator Row(string mac) => _page.Locator($"tr[data-testid=device-row][data-mac='{mac}']");

    private protected async Task OpenAsync(string hash = "")
    {
        await _page.GotoAsync("/" + hash);
        await Expect(_page.GetByTestId("live-status")).ToHaveAttributeAsync("data-state", "live");
    }

    private protected static FilePayload XmlFile(string name, string content) =>
        new() { Name = name, MimeType = "application/xml", Buffer = Encoding.UTF8.GetBytes(content) };
}

/// <summary>Devices view: table, live updates, filters, progress, chart, details.</summary>
public sealed class FakeApiDevicesViewTests(BrowserFixture browser) : FakeApiPageTestBase(browser), IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task The_devices_table_shows_every_phone_with_its_MAC_in_colon_form_and_its_state()
    {
        await OpenAsync();
        await Expect(_page.GetByTestId("device-row")).ToHaveCountAsync(4);
        await Expect(Row("000413250001").GetByTestId("device-mac")).ToHaveTextAsync("00:04:13:25:00:01");
        await Expect(Row("000413250001").GetByTestId("state-badge")).ToHaveTextAsync("downloaded");
        await Expect(Row("000413250003").GetByTestId("step-failed")).ToContainTextAsync("Timer F");
        await Expect(Row("805ec0000004")).ToContainTextAsync("T46S");
    }

    [Fact]
    public async Task A_device_event_updates_its_row_in_place_without_reloading_the_page()
    {
        await OpenAsync();
        await Expect(Row("000413250002").GetByTestId("state-badge")).ToHaveTextAsync("notified");
        // A marker on the window and a handle on the row element: both survive only without a reload/redraw.
        await _page.EvaluateAsync("() => { window.__noReload = 42; window.__row = document.querySelector(\"tr[data-mac='000413250002']\"); }");

        await _api.PublishDeviceAsync(FakeApi.Device("000413250002", "provisioned", "snom370"));

        await Expect(Row("000413250002").GetByTestId("state-badge")).ToHaveTextAsync("provisioned");
        Assert.Equal(42, await _page.EvaluateAsync<int>("() => window.__noReload"));
        Assert.True(await _page.EvaluateAsync<bool>("() => window.__row === document.querySelector(\"tr[data-mac='000413250002']\")"));

        // A phone never seen before appears as a new row.
        await _api.PublishDeviceAsync(FakeApi.Device("000413250099", "seen"));
        await Expect(Row("000413250099").GetByTestId("state-badge")).ToHaveTextAsync("seen");
        await Expect(_page.GetByTestId("device-row")).ToHaveCountAsync(5);
    }

    [Fact]
    public async Task A_change_whose_event_was_dropped_is_caught_up_when_the_stats_disagree_twice()
    {
        await OpenAsync();
        await Expect(Row("000413250002").GetByTestId("state-badge")).ToHaveTextAsync("notified");
        // The server changed the phone but its event never reached this page.
        _api.Devices["000413250002"] = FakeApi.Device("000413250002", "provisioned", "snom370");
        var stats = JsonNode.Parse("""{ "devices": 4, "byState": { "provisioned": 2, "downloaded": 1, "failed": 1 } }""")!;
        await _api.PublishAsync("stats", stats);
        await _api.PublishAsync("stats", stats.DeepClone());
        await Expect(Row("000413250002").GetByTestId("state-badge")).ToHaveTextAsync("provisioned");
    }

    [Fact]
    public async Task A_row_with_keyboard_focus_keeps_it_when_the_table_is_reloaded_underneath()
    {
        await OpenAsync();
        await Row("000413250003").FocusAsync();
        // A phone the page missed: the stats disagree twice and the table is reloaded.
        _api.Devices["000413250006"] = FakeApi.Device("000413250006", "seen");
        var stats = JsonNode.Parse("""{ "devices": 5, "byState": { "seen": 1, "notified": 1, "provisioned": 1, "downloaded": 1, "failed": 1 } }""")!;
        await _api.PublishAsync("stats", stats);
        await _api.PublishAsync("stats", stats.DeepClone());
        await Expect(Row("000413250006")).ToHaveCountAsync(1);

        Assert.Equal("000413250003", await _page.EvaluateAsync<string?>("() => document.activeElement && document.activeElement.dataset.mac"));
        await _page.Keyboard.PressAsync("Enter");
        await Expect(_page.GetByTestId("detail-title")).ToHaveTextAsync("00:04:13:25:00:03");
    }

    [Fact]
    public async Task Filtering_by_text_state_and_vendor_narrows_the_table()
    {
        await OpenAsync();
        await _page.GetByTestId("device-filter-text").FillAsync("00:04:13:25:00:03");
        await Expect(_page.GetByTestId("device-row")).ToHaveCountAsync(1);
        await Expect(Row("000413250003")).ToBeVisibleAsync();

        await _page.GetByTestId("device-filter-text").FillAsync("");
        await _page.GetByTestId("device-filter-vendor").SelectOptionAsync("yealink");
        await Expect(_page.GetByTestId("device-row")).ToHaveCountAsync(1);
        await Expect(Row("805ec0000004")).ToBeVisibleAsync();

        await _page.GetByTestId("device-filter-vendor").SelectOptionAsync("");
        await _page.GetByTestId("device-filter-state").SelectOptionAsync("failed");
        await Expect(_page.GetByTestId("device-row")).ToHaveCountAsync(1);

        // A live event for a phone outside the filter does not add a row; one that now matches does.
        await _api.PublishDeviceAsync(FakeApi.Device("000413250001", "downloaded"));
        await _api.PublishDeviceAsync(FakeApi.Device("000413250002", "failed", "snom370"));
        await Expect(_page.GetByTestId("device-row")).ToHaveCountAsync(2);
        await Expect(Row("000413250001")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_progress_bar_and_the_chart_show_the_boot_in_progress_and_follow_stats_events()
    {
        await OpenAsync();
        await Expect(_page.GetByTestId("boot-progress-text")).ToHaveTextAsync("4 of 10 provisioned");
        await Expect(_page.GetByTestId("boot-progress")).ToHaveAttributeAsync("aria-valuenow", "4");
        await Expect(_page.GetByTestId("count-failed")).ToHaveTextAsync("1");
        await Expect(_page.GetByTestId("chart-bar")).ToHaveCountAsync(3);
        var tall = await _page.GetByTestId("chart-bar").Nth(1).GetAttributeAsync("height");
        var flat = await _page.GetByTestId("chart-bar").Nth(2).GetAttributeAsync("height");
        Assert.True(double.Parse(tall!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal("0", flat);

        await _api.PublishAsync("stats", JsonNode.Parse("""
            { "devices": 10, "byState": { "provisioned": 10 }, "boot": { "started": "2025-11-26T09:30:00Z", "total": 10, "provisioned": 10 },
              "timeline": [ { "at": "2025-11-26T09:30:00Z", "provisioned": 10 } ] }
            """)!);
        await Expect(_page.GetByTestId("boot-progress-text")).ToHaveTextAsync("10 of 10 provisioned");
        await Expect(_page.GetByTestId("boot-progress")).ToHaveAttributeAsync("data-done", "true");
        await Expect(_page.GetByTestId("chart-bar")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Clicking_a_row_shows_downloads_and_variables_and_a_quarantined_phone_can_be_approved()
    {
        _api.Devices["000413250005"] = FakeApi.Device("000413250005", "seen", admission: "quarantined");
        await OpenAsync();
        await Row("000413250001").ClickAsync();
        var detail = _page.GetByTestId("device-detail");
        await Expect(detail).ToBeVisibleAsync();
        await Expect(_page.GetByTestId("detail-title")).ToHaveTextAsync("00:04:13:25:00:01");
        await Expect(_page.GetByTestId("download-row")).ToHaveCountAsync(1);
        await Expect(_page.GetByTestId("download-row")).ToContainTextAsync("2.0 KiB");
        await Expect(_page.GetByTestId("variable-row")).ToHaveCountAsync(3);
        await Expect(_page.GetByTestId("detail-variables")).ToContainTextAsync("Reception");
        await Expect(_page.GetByTestId("detail-variables")).Not.ToContainTextAsync("s3cret");
        await Expect(_page.GetByTestId("detail-admission")).ToBeHiddenAsync();
        await _page.Keyboard.PressAsync("Escape");
        await Expect(detail).ToBeHiddenAsync();

        // Keyboard only: focus the quarantined phone's row and press Enter.
        await Row("000413250005").FocusAsync();
        await _page.Keyboard.PressAsync("Enter");
        await Expect(_page.GetByTestId("detail-admission")).ToBeVisibleAsync();
        await _page.GetByTestId("detail-approve").ClickAsync();
        await Expect(_page.GetByTestId("detail-admission")).ToBeHiddenAsync();
        Assert.Contains("POST /api/devices/000413250005/approve", _api.Mutations);
    }

    [Fact]
    public async Task Resync_in_the_detail_dialog_posts_a_check_sync_for_that_phone_with_reboot_only_when_ticked()
    {
        await OpenAsync();
        await Row("000413250001").ClickAsync();
        await Expect(_page.GetByTestId("detail-resync-reboot")).Not.ToBeCheckedAsync();

        await _page.GetByTestId("detail-resync").ClickAsync();
        await Expect(_page.Locator("#toast")).ToContainTextAsync("Check-sync queued for 00:04:13:25:00:01");
        await _page.GetByTestId("detail-resync-reboot").CheckAsync();
        await _page.GetByTestId("detail-resync").ClickAsync();
        await Expect(_page.Locator("#toast")).ToContainTextAsync("Check-sync with reboot queued for 00:04:13:25:00:01");

        Assert.Equal(
            ["POST /api/devices/000413250001/resync?reboot=false", "POST /api/devices/000413250001/resync?reboot=true"],
            _api.Mutations.Where(m => m.Contains("resync", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Resync_all_asks_for_confirmation_then_posts_all_true_with_the_reboot_box_as_ticked()
    {
        await OpenAsync();

        await _page.GetByTestId("device-resync-all").ClickAsync();
        await Expect(_page.GetByTestId("device-resync-all")).ToHaveTextAsync("Really resync all?");
        Assert.DoesNotContain(_api.Mutations, m => m.Contains("resync", StringComparison.Ordinal));
        await _page.GetByTestId("device-resync-all").ClickAsync();
        await Expect(_page.Locator("#toast")).ToContainTextAsync("Check-sync queued for 4 phones");

        await _page.GetByTestId("device-resync-all-reboot").CheckAsync();
        await _page.GetByTestId("device-resync-all").ClickAsync();
        await _page.GetByTestId("device-resync-all").ClickAsync();
        await Expect(_page.Locator("#toast")).ToContainTextAsync("Check-sync with reboot queued for 4 phones");

        Assert.Equal(
            ["POST /api/resync?all=true&reboot=false", "POST /api/resync?all=true&reboot=true"],
            _api.Mutations.Where(m => m.Contains("resync", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Deleting_a_device_asks_for_confirmation_then_removes_its_row()
    {
        await OpenAsync();
        await Row("000413250003").ClickAsync();
        await _page.GetByTestId("detail-delete").ClickAsync();
        await Expect(_page.GetByTestId("detail-delete")).ToHaveTextAsync("Really delete?");
        Assert.DoesNotContain("DELETE /api/devices/000413250003", _api.Mutations);
        await _page.GetByTestId("detail-delete").ClickAsync();
        await Expect(_page.GetByTestId("device-detail")).ToBeHiddenAsync();
        await Expect(Row("000413250003")).ToHaveCountAsync(0);
        Assert.Contains("DELETE /api/devices/000413250003", _api.Mutations);
    }

    [Fact]
    public async Task When_the_API_wants_a_token_the_page_asks_once_and_sends_it_with_every_request()
    {
        _api.RequiredToken = "op-secret";
        await _page.GotoAsync("/");
        await Expect(_page.GetByTestId("login-dialog")).ToBeVisibleAsync();
        await _page.GetByTestId("login-token").FillAsync("op-secret");
        await _page.GetByTestId("login-token").PressAsync("Enter");
        await Expect(_page.GetByTestId("device-row")).ToHaveCountAsync(4);
        await Expect(_page.GetByTestId("boot-progress-text")).ToHaveTextAsync("4 of 10 provisioned");
        await Expect(_page.GetByTestId("login-dialog")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task On_a_phone_sized_screen_no_view_is_wider_than_the_screen()
    {
        await _page.SetViewportSizeAsync(390, 844);
        foreach (var view in new[] { "devices", "settings", "bulk" })
        {
            await OpenAsync("#" + view);
            await Expect(_page.GetByTestId("view-" + view)).ToBeVisibleAsync();
            if (view == "devices") await Expect(_page.GetByTestId("device-row")).ToHaveCountAsync(4);
            var overflow = await _page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
            var culprits = overflow <= 0 ? "" : await _page.EvaluateAsync<string>(
                "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)" +
                ".slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right)).join(', ')");
            Assert.True(overflow <= 0, $"the {view} view is {overflow}px wider than the screen: {culprits}");
        }
    }

    [Fact]
    public async Task The_tabs_are_reachable_with_the_keyboard()
    {
        await OpenAsync();
        await _page.GetByTestId("tab-devices").FocusAsync();
        await _page.Keyboard.PressAsync("ArrowRight");
        await Expect(_page.GetByTestId("view-settings")).ToBeVisibleAsync();
        await Expect(_page.GetByTestId("view-devices")).ToBeHiddenAsync();
        await _page.Keyboard.PressAsync("ArrowRight");
        await Expect(_page.GetByTestId("view-bulk")).ToBeVisibleAsync();
        await Expect(_page.GetByTestId("tab-bulk")).ToHaveAttributeAsync("aria-selected", "true");
    }
}

/// <summary>Settings and Bulk views: upload, validation errors, history and diff, preview, CSV import.</summary>
public sealed class FakeApiSettingsAndBulkViewTests(BrowserFixture browser) : FakeApiPageTestBase(browser), IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_settings_upload_shows_success_or_each_error_with_its_line_and_column()
    {
        await OpenAsync("#settings");
        await _page.GetByTestId("settings-file").SetInputFilesAsync(XmlFile("ok.xml", "<settings>\n  <phone-settings/>\n</settings>\n"));
        await Expect(_page.GetByTestId("settings-file-name")).ToContainTextAsync("ok.xml");
        await _page.GetByTestId("settings-load").ClickAsync();
        await Expect(_page.GetByTestId("settings-ok")).ToContainTextAsync("version 1");
        await Expect(_page.GetByTestId("settings-doc-row")).ToHaveCountAsync(1);

        await _page.GetByTestId("settings-again").ClickAsync();
        await _page.GetByTestId("settings-file").SetInputFilesAsync(XmlFile("broken.xml", "<settings>\n  <phone-settings>\n</settings>\n"));
        await _page.GetByTestId("settings-load").ClickAsync();
        var error = _page.GetByTestId("settings-error");
        await Expect(error).ToHaveCountAsync(1);
        await Expect(error).ToHaveAttributeAsync("data-line", "3");
        await Expect(error).ToContainTextAsync("Line 3, column");
    }

    [Fact]
    public async Task A_per_MAC_upload_without_a_valid_MAC_is_refused_before_it_is_sent()
    {
        await OpenAsync("#settings");
        await _page.GetByTestId("settings-scope").SelectOptionAsync("mac");
        await _page.GetByTestId("settings-key").FillAsync("00:04:13:zz:00:01");
        await _page.GetByTestId("settings-file").SetInputFilesAsync(XmlFile("a.xml", "<settings/>"));
        await _page.GetByTestId("settings-load").ClickAsync();
        await Expect(_page.GetByTestId("settings-error")).ToContainTextAsync("not a MAC address");
        await Expect(_page.GetByTestId("settings-key")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(_page.GetByTestId("settings-doc-row")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_history_lists_versions_and_the_diff_colours_added_and_removed_lines()
    {
        await OpenAsync("#settings");
        foreach (var (name, body) in new[] { ("v1.xml", "<settings>\n<language>English</language>\n</settings>"), ("v2.xml", "<settings>\n<language>Spanisch</language>\n</settings>") })
        {
            await _page.GetByTestId("settings-file").SetInputFilesAsync(XmlFile(name, body));
            await _page.GetByTestId("settings-load").ClickAsync();
            await Expect(_page.GetByTestId("settings-ok")).ToContainTextAsync(name);
        }
        await Expect(_page.GetByTestId("doc-version")).ToHaveTextAsync("v2");
        await _page.GetByTestId("doc-history").ClickAsync();
        await Expect(_page.GetByTestId("version-row")).ToHaveCountAsync(2);
        await _page.GetByTestId("diff-go").ClickAsync();
        await Expect(_page.Locator("[data-testid=diff-line][data-op='-']")).ToHaveTextAsync("<language>English</language>");
        await Expect(_page.Locator("[data-testid=diff-line][data-op='+']")).ToHaveTextAsync("<language>Spanisch</language>");
        var removedColour = await _page.Locator(".diff-del").EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor");
        var addedColour = await _page.Locator(".diff-add").EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor");
        Assert.NotEqual(removedColour, addedColour);
    }

    [Fact]
    public async Task The_preview_shows_the_rendered_settings_and_which_document_they_came_from()
    {
        await OpenAsync("#settings");
        await _page.GetByTestId("preview-mac").FillAsync("00-04-13-25-00-01");
        await _page.GetByTestId("preview-go").ClickAsync();
        await Expect(_page.GetByTestId("preview-source")).ToContainTextAsync("No settings");

        await _page.GetByTestId("settings-file").SetInputFilesAsync(XmlFile("g.xml", "<settings><mac>{mac}</mac></settings>"));
        await _page.GetByTestId("settings-load").ClickAsync();
        await Expect(_page.GetByTestId("settings-ok")).ToBeVisibleAsync();
        await _page.GetByTestId("preview-go").ClickAsync();
        await Expect(_page.GetByTestId("preview-source")).ToContainTextAsync("general document version 1");
        await Expect(_page.GetByTestId("preview-content")).ToHaveTextAsync("<settings><mac>000413250001</mac></settings>");
    }

    [Fact]
    public async Task A_CSV_import_shows_a_report_row_for_each_accepted_and_rejected_line()
    {
        await OpenAsync("#bulk");
        await _page.GetByTestId("import-file").SetInputFilesAsync(new FilePayload
        {
            Name = "phones.csv", MimeType = "text/csv",
            Buffer = Encoding.UTF8.GetBytes("mac,extension\n000413250001,201\nnot-a-mac,202\n000413250002,203\n"),
        });
        await _page.GetByTestId("import-go").ClickAsync();
        await Expect(_page.GetByTestId("import-summary")).ToHaveTextAsync("phones.csv: 2 accepted, 1 rejected.");
        await Expect(_page.GetByTestId("import-row")).ToHaveCountAsync(3);
        await Expect(_page.Locator("[data-testid=import-row][data-status=rejected]")).ToContainTextAsync("not a MAC address");
        await _page.GetByTestId("import-only-rejected").CheckAsync();
        await Expect(_page.Locator("[data-testid=import-row]:visible")).ToHaveCountAsync(1);
        await Expect(_page.GetByTestId("variables-export")).ToHaveAttributeAsync("href", "api/variables/export");
    }
}
