using System.Globalization;
using System.Net;
using System.Text;
using Akka.Actor;
using Microsoft.Playwright;
using SnomActors.Registry.Actors;
using SnomActors.Registry.Model;
using static Microsoft.Playwright.Assertions;

namespace SnomActors.Web.Tests;

/// <summary>
/// Stages a realistic boot on the real host (settings with history, imported accounts, thirty
/// phones in every state) and saves a screenshot of each view to <c>docs/screenshots/</c>
/// (or <c>SNOMACTORS_SCREENSHOTS</c>), checking on the way that each view shows that data.
/// </summary>
public sealed class ScreenshotTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private RealHost _host = null!;

    public async Task InitializeAsync() => _host = await RealHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string Mac(int i) => $"000413{0x250000 + i:x6}";

    [Fact]
    public async Task Every_view_shows_a_staged_boot_and_is_saved_as_a_screenshot()
    {
        Directory.CreateDirectory(RepoPaths.Screenshots);
        await StageAsync();
        var page = await browser.NewPageAsync(_host.BaseUrl, 1360, 860);
        try
        {
            await page.GotoAsync("/");
            await Expect(page.GetByTestId("live-status")).ToHaveAttributeAsync("data-state", "live");
            await Expect(page.GetByTestId("device-row")).ToHaveCountAsync(30);
            await Expect(page.GetByTestId("boot-progress-text")).ToHaveTextAsync("26 of 30 provisioned");
            await Expect(page.GetByTestId("count-downloaded")).ToHaveTextAsync("23");
            await Expect(page.Locator("#chart-desc")).ToContainTextAsync("26 provisioned");
            await ScrollTopAsync(page);
            await page.ScreenshotAsync(new() { Path = Shot("devices.png"), FullPage = true });

            await page.Locator($"tr[data-testid=device-row][data-mac='{Mac(1)}']").ClickAsync();
            await Expect(page.GetByTestId("download-row")).ToHaveCountAsync(1);
            await Expect(page.GetByTestId("download-settings")).ToHaveTextAsync("general v2");
            await Expect(page.GetByTestId("variable-row")).ToHaveCountAsync(4);
            await page.ScreenshotAsync(new() { Path = Shot("device-detail.png") });
            await page.Keyboard.PressAsync("Escape");

            await page.GotoAsync("/#settings");
            await page.GetByTestId("settings-file").SetInputFilesAsync(new FilePayload
            {
                Name = "snom-broken.xml", MimeType = "application/xml",
                Buffer = Encoding.UTF8.GetBytes("<settings>\n  <phone-settings>\n    <language perm=\"\">Spanisch</language>\n  </phone-setings>\n</settings>\n"),
            });
            await page.GetByTestId("settings-load").ClickAsync();
            await Expect(page.GetByTestId("settings-error")).ToContainTextAsync("Line 4");
            await page.Locator("[data-testid=settings-doc-row][data-scope=general]").GetByTestId("doc-history").ClickAsync();
            await Expect(page.GetByTestId("version-row")).ToHaveCountAsync(2);
            await page.GetByTestId("diff-go").ClickAsync();
            await Expect(page.Locator("[data-testid=diff-line][data-op='+']").First).ToBeVisibleAsync();
            await page.GetByTestId("preview-mac").FillAsync(MacColon(Mac(1)));
            await page.GetByTestId("preview-go").ClickAsync();
            await Expect(page.GetByTestId("preview-content")).ToContainTextAsync("Reception 1");
            await ScrollTopAsync(page);
            await page.ScreenshotAsync(new() { Path = Shot("settings.png"), FullPage = true });

            await page.GotoAsync("/#bulk");
            var csv = new StringBuilder("mac,extension,display_name,sip_user,sip_password\n");
            for (var i = 31; i <= 36; i++) csv.Append(CultureInfo.InvariantCulture, $"{MacColon(Mac(i))},{200 + i},Desk {i},{200 + i},pw{i}x\n");
            csv.Append("00:04:13:zz:00:01,299,Typo,299,pw\n");
            csv.Append("000413250037,,Lobby,lobby,\n");
            await page.GetByTestId("import-file").SetInputFilesAsync(new FilePayload
            {
                Name = "accounts.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(csv.ToString()),
            });
            await page.GetByTestId("import-go").ClickAsync();
            await Expect(page.GetByTestId("import-row")).Not.ToHaveCountAsync(0);
            await Expect(page.Locator("[data-testid=import-row][data-status=rejected]")).Not.ToHaveCountAsync(0);
            await page.GetByTestId("simboot-go").ClickAsync();
            await page.GetByTestId("simboot-go").ClickAsync();
            await Expect(page.GetByTestId("simboot-progress-text")).ToContainTextAsync("provisioned — completed", new() { Timeout = 30_000 });
            await ScrollTopAsync(page);
            await page.ScreenshotAsync(new() { Path = Shot("bulk.png"), FullPage = true });
        }
        finally
        {
            await page.Context.CloseAsync();
        }
        foreach (var name in new[] { "devices.png", "device-detail.png", "settings.png", "bulk.png" })
            Assert.True(new FileInfo(Shot(name)).Length > 10_000, $"{name} looks empty");
    }

    // A full-page shot of a scrolled page draws the sticky header half-way down.
    private static Task ScrollTopAsync(IPage page) => page.EvaluateAsync("() => window.scrollTo(0, 0)");

    private static string Shot(string name) => Path.Combine(RepoPaths.Screenshots, name);

    private static string MacColon(string mac) => string.Join(':', Enumerable.Range(0, 6).Select(i => mac.Substring(i * 2, 2)));

    private async Task StageAsync()
    {
        var http = _host.Http;
        await PutXmlAsync("api/settings/general?author=alice",
            "<settings>\n  <phone-settings>\n    <language perm=\"\">English</language>\n    <user_name idx=\"1\">{sip_user}</user_name>\n    <user_realname idx=\"1\">{display_name}</user_realname>\n  </phone-settings>\n</settings>\n");
        await PutXmlAsync("api/settings/general?author=bob",
            "<settings>\n  <phone-settings>\n    <language perm=\"\">Spanisch</language>\n    <user_name idx=\"1\">{sip_user}</user_name>\n    <user_realname idx=\"1\">{display_name}</user_realname>\n    <user_pass idx=\"1\">{sip_password}</user_pass>\n  </phone-settings>\n</settings>\n");
        await PutXmlAsync("api/settings/model/snom370?author=alice", "<settings>\n  <phone-settings>\n    <language perm=\"\">Deutsch</language>\n  </phone-settings>\n</settings>\n");
        await PutXmlAsync("api/settings/vendor/yealink?author=alice", "<settings/>\n");

        var csv = new StringBuilder("mac,extension,display_name,sip_user,sip_password\n");
        for (var i = 1; i <= 30; i++) csv.Append(CultureInfo.InvariantCulture, $"{Mac(i)},{200 + i},Reception {i},{200 + i},pw{i}x\n");
        using (var import = await http.PostAsync("api/variables/import", new StringContent(csv.ToString(), Encoding.UTF8, "text/csv")))
            Assert.Equal(HttpStatusCode.OK, import.StatusCode);

        // A boot over the last eight minutes: most phones provisioned and downloaded, a few still
        // waiting for their NOTIFY's answer, two that never answered.
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-8);
        for (var i = 1; i <= 30; i++)
        {
            var at = t0.AddSeconds(Math.Round(480 * Math.Pow((i - 1) / 30.0, 0.7)));
            var model = i % 4 == 0 ? "snom370" : i % 7 == 0 ? "snomD785" : "snom360";
            var step = i is 12 or 23 ? "failed" : i is 29 or 30 ? "notified" : "provisioned";
            _host.Provision(Mac(i), step, model, $"10.75.0.{10 + i}", start: at);
        }
        // Their downloads, a second or two after each NOTIFY was acknowledged, as the HTTP side
        // reports them to the registry (real downloads are covered by RealHostPageTests).
        for (var i = 1; i <= 24; i++)
        {
            if (i is 12 or 23) continue;
            var at = t0.AddSeconds(Math.Round(480 * Math.Pow((i - 1) / 30.0, 0.7))).AddMilliseconds(1200 + 37 * i);
            // What the HTTP side resolves for them: snom370s their model's document, the others the general one (v2).
            var served = i % 4 == 0 ? new SettingsVersionRef(SettingsScope.Model, "snom370", 1) : new SettingsVersionRef(SettingsScope.General, "", 2);
            _host.Registry.Tell(new DeviceRegistry.RecordDownload(Mac(i), at, $"10.75.0.{10 + i}", 200, 238 + i % 5,
                $"\"{i:x4}c3a9e1\"", $"/settings/{Mac(i)}.xml") { Method = "GET", Settings = served });
        }
        // One through HTTP for real, so its detail shows an actual download.
        using (var r = await _host.DownloadSettingsAsync(Mac(25)))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    private async Task PutXmlAsync(string path, string xml)
    {
        using var r = await _host.Http.PutAsync(path, new StringContent(xml, Encoding.UTF8, "application/xml"));
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
    }
}
