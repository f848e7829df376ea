using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SnomActors.Http.Security;

namespace SnomActors.Http.Tests.Http;

public sealed class ApiTests
{
    [Fact]
    public async Task An_upload_without_an_author_with_admin_auth_off_is_recorded_as_anonymous_from_the_client_address()
    {
        await using var host = await HttpHost.StartAsync();
        Assert.Equal(HttpStatusCode.Created, (await host.PutXmlAsync("/api/settings/vendor/snom", "<settings/>")).StatusCode);
        var versions = await host.GetJsonAsync("/api/settings/vendor/snom/versions");
        Assert.Equal("anonymous from 127.0.0.1", versions[0].GetProperty("author").GetString());
    }

    [Fact]
    public async Task Settings_upload_creates_versions_that_can_be_read_diffed_and_previewed()
    {
        await using var host = await HttpHost.StartAsync();
        await host.SeeDeviceAsync("000413aabbcc", "snom", "snom360");
        var v1 = await host.PutXmlAsync("/api/settings/general?author=alice", "<settings>\n<a>1</a>\n<b>{mac}</b>\n</settings>\n");
        Assert.Equal(HttpStatusCode.Created, v1.StatusCode);
        var created = await v1.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("general", created.GetProperty("scope").GetString());
        Assert.Equal(1, created.GetProperty("version").GetInt32());
        Assert.Equal(64, created.GetProperty("sha256").GetString()!.Length);
        await host.PutXmlAsync("/api/settings/general?author=bob", "<settings>\n<a>2</a>\n<b>{mac}</b>\n</settings>\n");

        var versions = await host.GetJsonAsync("/api/settings/general/versions");
        Assert.Equal([2, 1], versions.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal("bob", versions[0].GetProperty("author").GetString());

        var list = await host.GetJsonAsync("/api/settings");
        var general = Assert.Single(list.EnumerateArray());
        Assert.Equal(2, general.GetProperty("version").GetInt32());

        var raw = await host.Client.GetAsync("/api/settings/general/versions/1");
        Assert.Equal("application/xml", raw.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<a>1</a>", await raw.Content.ReadAsStringAsync());

        var diff = await host.GetJsonAsync("/api/settings/general/diff?from=1&to=2");
        var lines = diff.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("op").GetString() + l.GetProperty("text").GetString()).ToList();
        Assert.Equal([" <settings>", "-<a>1</a>", "+<a>2</a>", " <b>{mac}</b>", " </settings>"], lines);

        var preview = await host.GetJsonAsync("/api/preview/00:04:13:AA:BB:CC");
        Assert.Equal("000413aabbcc", preview.GetProperty("mac").GetString());
        Assert.Equal("general", preview.GetProperty("source").GetProperty("scope").GetString());
        Assert.Equal(2, preview.GetProperty("source").GetProperty("version").GetInt32());
        Assert.Contains("<b>000413aabbcc</b>", preview.GetProperty("content").GetString());

        await host.PutXmlAsync("/api/settings/model/snom360", "<m/>");
        var modelPreview = await host.GetJsonAsync("/api/preview/000413aabbcc");
        Assert.Equal("model", modelPreview.GetProperty("source").GetProperty("scope").GetString());
        Assert.Equal("snom360", modelPreview.GetProperty("source").GetProperty("key").GetString());
    }

    [Fact]
    public async Task A_broken_upload_is_refused_with_line_and_column_and_nothing_is_stored()
    {
        await using var host = await HttpHost.StartAsync();
        var response = await host.PutXmlAsync("/api/settings/vendor/snom", "<settings>\n  <a>\n  </b>\n</settings>");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var error = Assert.Single(problem.GetProperty("errors").EnumerateArray());
        Assert.Equal(3, error.GetProperty("line").GetInt32());
        Assert.Equal(5, error.GetProperty("column").GetInt32());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync("/api/settings/vendor/snom/versions")).StatusCode);

        var xxe = await host.PutXmlAsync("/api/settings/general", "<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>");
        Assert.Equal(HttpStatusCode.BadRequest, xxe.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await host.PutXmlAsync("/api/settings/general", "<a/>", "application/json")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.PutXmlAsync("/api/settings/mac/not-a-mac", "<a/>")).StatusCode);
    }

    [Fact]
    public async Task Csv_import_reports_each_row_and_export_round_trips()
    {
        await using var host = await HttpHost.StartAsync();
        const string csv = "mac,extension,display_name,sip_password\r\n" +
            "00:04:13:AA:BB:01,201,\"Smith, Ann\",\"s3cr\"\"et\"\r\n" +
            "000413aabb02,202,Bob,pw2\r\n" +
            "000413aabb02,203,Dup,pw3\r\n" +
            "not-a-mac,204,X,pw4\r\n" +
            "000413aabb05,205,Y\r\n";
        var response = await host.Client.PostAsync("/api/variables/import", new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, report.GetProperty("accepted").GetInt32());
        Assert.Equal(3, report.GetProperty("rejected").GetInt32());
        var rows = report.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal([2, 3, 4, 5, 6], rows.Select(r => r.GetProperty("line").GetInt32()));
        Assert.Equal(["accepted", "accepted", "rejected", "rejected", "rejected"], rows.Select(r => r.GetProperty("status").GetString()));
        Assert.Equal("000413aabb01", rows[0].GetProperty("mac").GetString());
        Assert.Contains("Duplicate", rows[2].GetProperty("error").GetString());
        Assert.Contains("not a MAC", rows[3].GetProperty("error").GetString());
        Assert.Contains("Too few columns", rows[4].GetProperty("error").GetString());

        var vars = await host.GetJsonAsync("/api/variables/000413aabb01");
        Assert.Equal("Smith, Ann", vars.GetProperty("display_name").GetString());
        Assert.Equal("s3cr\"et", vars.GetProperty("sip_password").GetString());

        var export = await host.Client.GetAsync("/api/variables/export");
        Assert.Equal("text/csv", export.Content.Headers.ContentType!.MediaType);
        var exported = await export.Content.ReadAsStringAsync();
        var back = SnomActors.Http.Settings.VariablesCsv.Parse(exported);
        Assert.Equal(2, back.AcceptedCount);
        Assert.Equal("s3cr\"et", back.Accepted.Single(a => a.Mac == "000413aabb01").Variables["sip_password"]);
        Assert.Equal("Bob", back.Accepted.Single(a => a.Mac == "000413aabb02").Variables["display_name"]);

        var badHeader = await host.Client.PostAsync("/api/variables/import", new StringContent("extension,mac\n", Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.BadRequest, badHeader.StatusCode);
        Assert.Contains("first column", (await badHeader.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Errors_are_rfc_9457_problem_details()
    {
        await using var host = await HttpHost.StartAsync();
        foreach (var (path, status) in new[] { ("/api/devices/xyz", 400), ("/api/devices/000413aabbcc", 404), ("/api/devices?state=bogus", 400), ("/api/nothing-here", 404) })
        {
            var response = await host.Client.GetAsync(path);
            Assert.Equal(status, (int)response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(status, problem.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
            Assert.StartsWith("https://", problem.GetProperty("type").GetString());
        }
    }

    [Fact]
    public async Task Devices_can_be_listed_filtered_approved_and_deleted()
    {
        await using var host = await HttpHost.StartAsync();
        await host.SeeDeviceAsync("000413000001", "snom", "snom360");
        await host.SeeDeviceAsync("001565000002", "yealink", "T46S");
        var all = await host.GetJsonAsync("/api/devices");
        Assert.Equal(2, all.GetProperty("total").GetInt32());
        var device = all.GetProperty("items").EnumerateArray().Single(d => d.GetProperty("mac").GetString() == "000413000001");
        Assert.Equal("snom360", device.GetProperty("model").GetString());
        Assert.Equal("seen", device.GetProperty("state").GetString());
        Assert.Equal("10.1.2.3", device.GetProperty("lastIp").GetString());
        Assert.NotEqual(JsonValueKind.Null, device.GetProperty("steps").GetProperty("subscribeSeen").ValueKind);

        var yealink = await host.GetJsonAsync("/api/devices?vendor=yealink");
        Assert.Equal("001565000002", Assert.Single(yealink.GetProperty("items").EnumerateArray()).GetProperty("mac").GetString());
        var searched = await host.GetJsonAsync("/api/devices?q=T46");
        Assert.Equal(1, searched.GetProperty("total").GetInt32());

        Assert.Equal(HttpStatusCode.NoContent, (await host.Client.PostAsync("/api/devices/000413000001/deny", null)).StatusCode);
        Assert.Equal("denied", (await host.GetJsonAsync("/api/devices/000413000001")).GetProperty("admission").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await host.Client.PostAsync("/api/devices/000413000001/approve", null)).StatusCode);
        Assert.Equal("allowed", (await host.GetJsonAsync("/api/devices/000413000001")).GetProperty("admission").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.PostAsync("/api/devices/000413999999/approve", null)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await host.Client.DeleteAsync("/api/devices/00-04-13-00-00-01")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync("/api/devices/000413000001")).StatusCode);
    }

    [Fact]
    public async Task Stats_count_devices_per_state()
    {
        await using var host = await HttpHost.StartAsync();
        await host.SeeDeviceAsync("000413000001");
        await host.SeeDeviceAsync("000413000002");
        var stats = await host.GetJsonAsync("/api/stats");
        Assert.Equal(2, stats.GetProperty("devices").GetInt32());
        Assert.Equal(2, stats.GetProperty("byState").GetProperty("seen").GetInt32());
        Assert.Equal(2, stats.GetProperty("boot").GetProperty("total").GetInt32());
        Assert.Equal(0, stats.GetProperty("boot").GetProperty("provisioned").GetInt32());
        Assert.InRange(stats.GetProperty("timeline").GetArrayLength(), 60, 61);
    }

    [Fact]
    public async Task The_openapi_document_and_the_embedded_page_are_served()
    {
        await using var host = await HttpHost.StartAsync();
        var openApi = await host.GetJsonAsync("/openapi/v1.json");
        Assert.StartsWith("3.", openApi.GetProperty("openapi").GetString());
        var paths = openApi.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/devices", out _));
        Assert.True(paths.TryGetProperty("/api/settings/general", out _));
        Assert.True(paths.TryGetProperty("/settings/{file}", out _));

        var page = await host.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<html", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Live_events_stream_device_changes_and_stats()
    {
        await using var host = await HttpHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/events");
        using var response = await host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var seenStats = false;
        var seenDevice = false;
        var published = false;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        string? eventType = null;
        while (!(seenStats && seenDevice))
        {
            var line = await reader.ReadLineAsync(timeout.Token);
            Assert.NotNull(line);
            if (line.StartsWith("event: ", StringComparison.Ordinal)) eventType = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                var data = JsonDocument.Parse(line[6..]).RootElement;
                if (eventType == "stats")
                {
                    seenStats = true;
                    Assert.True(data.TryGetProperty("byState", out _));
                    // The subscription exists once the first event arrived: now make a device change.
                    if (!published) { published = true; _ = host.SeeDeviceAsync("000413aabbcc"); }
                }
                if (eventType == "device" && data.GetProperty("mac").GetString() == "000413aabbcc")
                {
                    seenDevice = true;
                    Assert.Equal("seen", data.GetProperty("state").GetString());
                }
            }
        }
    }

    [Fact]
    public async Task An_admin_access_check_guards_the_api_but_not_the_phones()
    {
        await using var host = await HttpHost.StartAsync(services: s => s.AddSingleton<IAdminAccess>(new DenyAll()));
        var api = await host.Client.GetAsync("/api/devices");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal("Basic realm=\"snomactors\"", api.Headers.WwwAuthenticate.ToString());
        Assert.Equal("application/problem+json", api.Content.Headers.ContentType!.MediaType);
        // Downloads stay outside the admin check (issue 5 protects them separately).
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync("/settings/000413aabbcc.xml")).StatusCode);
    }

    private sealed class DenyAll : IAdminAccess
    {
        public ValueTask<string?> ChallengeAsync(HttpContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult<string?>("Basic realm=\"snomactors\"");
    }
}
