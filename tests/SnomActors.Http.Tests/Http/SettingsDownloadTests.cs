using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SnomActors.Http.Hosting;
using SnomActors.Registry.Tests.Support;

namespace SnomActors.Http.Tests.Http;

public sealed class SettingsDownloadTests
{
    private const string General = "<settings><phone-settings><who>general {mac}</who></phone-settings></settings>";

    [Fact]
    public async Task Resolution_prefers_mac_then_model_then_vendor_then_general()
    {
        await using var host = await HttpHost.StartAsync();
        await host.SeeDeviceAsync("000413000001", "snom", "snom360");
        await host.SeeDeviceAsync("000413000002", "snom", "snom360");
        await host.SeeDeviceAsync("000413000003", "snom", "snom370");
        await host.SeeDeviceAsync("001565000004", "yealink", "T46S");
        Assert.Equal(HttpStatusCode.Created, (await host.PutXmlAsync("/api/settings/general", "<s>general</s>")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await host.PutXmlAsync("/api/settings/vendor/snom", "<s>vendor</s>")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await host.PutXmlAsync("/api/settings/model/SNOM360", "<s>model</s>", "text/xml")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await host.PutXmlAsync("/api/settings/mac/00:04:13:00:00:01", "<s>mac</s>")).StatusCode);

        Assert.Equal("<s>mac</s>", await host.Client.GetStringAsync("/settings/000413000001.xml"));
        Assert.Equal("<s>model</s>", await host.Client.GetStringAsync("/settings/000413000002.xml"));
        Assert.Equal("<s>vendor</s>", await host.Client.GetStringAsync("/settings/000413000003.xml"));
        Assert.Equal("<s>general</s>", await host.Client.GetStringAsync("/settings/001565000004.xml"));

        // Deleting the per-MAC document takes effect at once, despite the download cache.
        Assert.Equal(HttpStatusCode.NoContent, (await host.Client.DeleteAsync("/api/settings/mac/000413000001")).StatusCode);
        Assert.Equal("<s>model</s>", await host.Client.GetStringAsync("/settings/000413000001.xml"));
    }

    [Fact]
    public async Task While_the_store_is_down_a_download_gets_503_with_Retry_After_and_no_settings_and_works_again_after()
    {
        ProbeStore probe = null!;
        await using var host = await HttpHost.StartAsync(
            configure: o => o with { SettingsCacheTtl = TimeSpan.Zero },
            store: real =>
            {
                var (wrapped, p) = ProbeStore.Wrap(real);
                probe = p;
                return wrapped;
            });
        await host.SeeDeviceAsync("000413000077");
        await host.PutXmlAsync("/api/settings/general", General);
        Assert.Equal("<settings><phone-settings><who>general 000413000077</who></phone-settings></settings>",
            await host.Client.GetStringAsync("/settings/000413000077.xml"));

        probe.Down = true;
        var during = await host.Client.GetAsync("/settings/000413000077.xml");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        Assert.NotNull(during.Headers.RetryAfter);
        Assert.Equal("application/problem+json", during.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("phone-settings", await during.Content.ReadAsStringAsync());

        probe.Down = false;
        Assert.Equal("<settings><phone-settings><who>general 000413000077</who></phone-settings></settings>",
            await host.Client.GetStringAsync("/settings/000413000077.xml"));
    }

    [Fact]
    public async Task Download_substitutes_device_fields_and_variables_with_xml_escaping()
    {
        await using var host = await HttpHost.StartAsync();
        await host.SeeDeviceAsync("000413aabbcc", "snom", "snom360", "8.7.5");
        await host.PutXmlAsync("/api/settings/general",
            "<settings><n>{display_name}</n><m>{MAC}</m><ip>{ip}</ip><mo>{model}</mo><fw>{firmware}</fw><keep>{phone_macro}</keep></settings>");
        var put = await host.Client.PutAsync("/api/variables/000413AABBCC",
            new StringContent("{\"display_name\":\"R&D <Lab> \\\"A\\\" 'B'\"}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);

        var response = await host.Client.GetAsync("/settings/000413aabbcc.xml");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/xml", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType.CharSet);
        Assert.Equal(
            "<settings><n>R&amp;D &lt;Lab&gt; &quot;A&quot; &apos;B&apos;</n><m>000413aabbcc</m><ip>127.0.0.1</ip><mo>snom360</mo><fw>8.7.5</fw><keep>{phone_macro}</keep></settings>",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ETag_and_Last_Modified_give_304_and_HEAD_sends_headers_without_body()
    {
        await using var host = await HttpHost.StartAsync();
        await host.SeeDeviceAsync("000413aabbcc");
        await host.PutXmlAsync("/api/settings/general", "<s>{extension}</s>");

        var first = await host.Client.GetAsync("/settings/000413aabbcc.xml");
        var etag = first.Headers.ETag!;
        var lastModified = first.Content.Headers.LastModified!.Value;
        Assert.False(etag.IsWeak);
        Assert.Equal("no-cache", first.Headers.CacheControl!.ToString());

        using (var conditional = new HttpRequestMessage(HttpMethod.Get, "/settings/000413aabbcc.xml"))
        {
            conditional.Headers.IfNoneMatch.Add(etag);
            var r = await host.Client.SendAsync(conditional);
            Assert.Equal(HttpStatusCode.NotModified, r.StatusCode);
            Assert.Empty(await r.Content.ReadAsByteArrayAsync());
            Assert.Equal(etag, r.Headers.ETag);
        }
        using (var conditional = new HttpRequestMessage(HttpMethod.Get, "/settings/000413aabbcc.xml"))
        {
            conditional.Headers.IfModifiedSince = lastModified;
            Assert.Equal(HttpStatusCode.NotModified, (await host.Client.SendAsync(conditional)).StatusCode);
        }
        using (var head = new HttpRequestMessage(HttpMethod.Head, "/settings/000413aabbcc.xml"))
        {
            var r = await host.Client.SendAsync(head);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal(etag, r.Headers.ETag);
            Assert.Equal(first.Content.Headers.ContentLength, r.Content.Headers.ContentLength);
            Assert.Empty(await r.Content.ReadAsByteArrayAsync());
        }

        // New variables change the bytes: the old ETag and the old date no longer match.
        await Task.Delay(1100);
        await host.Client.PutAsync("/api/variables/000413aabbcc", new StringContent("{\"extension\":\"42\"}", System.Text.Encoding.UTF8, "application/json"));
        using (var conditional = new HttpRequestMessage(HttpMethod.Get, "/settings/000413aabbcc.xml"))
        {
            conditional.Headers.IfNoneMatch.Add(etag);
            var r = await host.Client.SendAsync(conditional);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.NotEqual(etag, r.Headers.ETag);
            Assert.Equal("<s>42</s>", await r.Content.ReadAsStringAsync());
        }
        using (var conditional = new HttpRequestMessage(HttpMethod.Get, "/settings/000413aabbcc.xml"))
        {
            conditional.Headers.IfModifiedSince = lastModified;
            Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(conditional)).StatusCode);
        }
    }

    public static TheoryData<string> HostileTargets => new()
    {
        "/settings/../etc/passwd.xml",
        "/settings/../../../../etc/passwd",
        "/settings/%2e%2e/%2e%2e/etc/passwd.xml",
        "/settings/%2E%2E%2Fetc%2Fpasswd.xml",
        "/settings/..%2f..%2fetc%2fpasswd.xml",
        "/settings/..%5c..%5cwindows.xml",
        "/settings/000413aabbcc%00.xml",
        "/settings/000413aabbcc.xml%00",
        "/settings/%252e%252e/x.xml",
        "/settings/./000413aabbcc.xml",
        "/settings/000413aabbcc000413aabbcc.xml",
        "/settings/000413aabbc.xml",
        "/settings/00041gaabbcc.xml",
        "/settings/00:04:13:aa:bb:cc:dd.xml",
        "/settings/00:04-13:aa:bb:cc.xml",
        "/settings/000413aabbcc.txt",
        "/settings/000413aabbcc",
        "/settings/000000000000.xml",
        "/settings/" + "a" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" + ".xml",
        "/settings.xml",
        "/settings.xml?mac=",
        "/settings.xml?mac=../../etc/passwd",
        "/settings.xml?mac=000413aabbcc%00",
        "/settings.xml?mac=000413aabbcc&mac=000413aabbcd",
        "/settings.xml?mac=00041zaabbcc",
    };

    [Theory]
    [MemberData(nameof(HostileTargets))]
    public async Task Every_traversal_or_malformed_mac_is_a_400_problem(string target)
    {
        await using var host = await SharedHost.GetAsync();
        var (status, head, body) = await host.RawGetAsync(target);
        Assert.Equal(400, status);
        Assert.DoesNotContain("<s>", body);
        // Kestrel itself refuses a NUL in the path before any application code runs: a bare 400, no body.
        if (target.Contains("%00") && !target.Contains('?') && head.Contains("Content-Length: 0")) return;
        Assert.Contains("application/problem+json", head);
        Assert.Equal(400, JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("/settings/000413AABBCC.xml")]
    [InlineData("/settings/00:04:13:aa:bb:cc.xml")]
    [InlineData("/settings/00-04-13-AA-BB-CC.XML")]
    [InlineData("/settings/0004.13aa.bbcc.xml")]
    [InlineData("/settings.xml?mac=00:04:13:AA:BB:CC")]
    [InlineData("/settings.xml?mac=000413aabbcc")]
    public async Task Mac_variants_are_normalised_to_the_same_phone(string target)
    {
        await using var host = await SharedHost.GetAsync();
        var (status, head, body) = await host.RawGetAsync(target);
        Assert.Equal(200, status);
        Assert.Contains("application/xml", head);
        Assert.Equal("<s>000413aabbcc</s>", body);
    }

    [Fact]
    public async Task Downloads_are_recorded_on_the_device_including_failures()
    {
        await using var host = await HttpHost.StartAsync();
        await host.SeeDeviceAsync("000413aabbcc");
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync("/settings/000413aabbcc.xml")).StatusCode); // no document yet
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Client.GetAsync("/settings/000413aabbcc")).StatusCode); // MAC known, URL wrong
        await host.PutXmlAsync("/api/settings/general", "<s>{mac}</s>");
        var ok = await host.Client.GetAsync("/settings/00-04-13-AA-BB-CC.xml");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        JsonElement device = default;
        await HttpHost.Eventually(async () =>
        {
            device = await host.GetJsonAsync("/api/devices/000413aabbcc");
            return device.GetProperty("downloads").GetArrayLength() == 3;
        });
        Assert.Equal("downloaded", device.GetProperty("state").GetString());
        Assert.NotEqual(JsonValueKind.Null, device.GetProperty("steps").GetProperty("settingsDownloaded").ValueKind);
        var downloads = device.GetProperty("downloads").EnumerateArray().ToList();
        var success = downloads.Single(d => d.GetProperty("status").GetInt32() == 200);
        Assert.Equal("127.0.0.1", success.GetProperty("sourceIp").GetString());
        Assert.Equal("<s>000413aabbcc</s>".Length, success.GetProperty("bytes").GetInt64());
        Assert.Equal(ok.Headers.ETag!.Tag, success.GetProperty("etag").GetString());
        Assert.Contains(downloads, d => d.GetProperty("status").GetInt32() == 404);
        Assert.Contains(downloads, d => d.GetProperty("status").GetInt32() == 400);
    }

    [Fact]
    public async Task A_recorded_download_names_the_document_and_version_that_was_served()
    {
        await using var host = await HttpHost.StartAsync();
        await host.SeeDeviceAsync("000413aabbcc", model: "snom-D735");
        await host.PutXmlAsync("/api/settings/general", "<s>general</s>");
        await host.PutXmlAsync("/api/settings/model/snom-D735", "<s>model v1</s>");
        await host.PutXmlAsync("/api/settings/model/snom-D735", "<s>model v2</s>");
        await host.PutXmlAsync("/api/settings/model/snom-D735", "<s>model v3 {mac}</s>");

        var got = await host.Client.GetAsync("/settings/000413aabbcc.xml");
        Assert.Equal("<s>model v3 000413aabbcc</s>", await got.Content.ReadAsStringAsync());
        // Another phone without a model document gets the general one, and says so.
        await host.SeeDeviceAsync("000413000002", model: "snom360");
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/settings/000413000002.xml")).StatusCode);

        var download = await SingleDownloadAsync(host, "000413aabbcc");
        Assert.Equal("GET", download.GetProperty("method").GetString());
        var settings = download.GetProperty("settings");
        Assert.Equal(("model", "snom-d735", 3),
            (settings.GetProperty("scope").GetString(), settings.GetProperty("key").GetString(), settings.GetProperty("version").GetInt32()));
        var general = (await SingleDownloadAsync(host, "000413000002")).GetProperty("settings");
        Assert.Equal(("general", "", 1),
            (general.GetProperty("scope").GetString(), general.GetProperty("key").GetString(), general.GetProperty("version").GetInt32()));
        // The API serves that very version, as the page's link fetches it.
        Assert.Equal("<s>model v3 {mac}</s>", await host.Client.GetStringAsync("/api/settings/model/snom-d735/versions/3"));
    }

    [Fact]
    public async Task A_HEAD_is_recorded_as_a_HEAD_and_leaves_the_device_not_downloaded_until_the_GET()
    {
        await using var host = await HttpHost.StartAsync();
        await host.SeeDeviceAsync("000413aabbcc");
        await host.PutXmlAsync("/api/settings/general", "<s>{mac}</s>");

        using (var head = new HttpRequestMessage(HttpMethod.Head, "/settings/000413aabbcc.xml"))
            Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(head)).StatusCode);
        var recorded = await SingleDownloadAsync(host, "000413aabbcc");
        Assert.Equal(("HEAD", 200, 0L), (recorded.GetProperty("method").GetString(), recorded.GetProperty("status").GetInt32(), recorded.GetProperty("bytes").GetInt64()));
        var device = await host.GetJsonAsync("/api/devices/000413aabbcc");
        Assert.Equal("seen", device.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, device.GetProperty("steps").GetProperty("settingsDownloaded").ValueKind);

        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/settings/000413aabbcc.xml")).StatusCode);
        await HttpHost.Eventually(async () =>
            (await host.GetJsonAsync("/api/devices/000413aabbcc")).GetProperty("state").GetString() == "downloaded");
    }

    private static async Task<JsonElement> SingleDownloadAsync(HttpHost host, string mac)
    {
        JsonElement device = default;
        await HttpHost.Eventually(async () =>
        {
            device = await host.GetJsonAsync($"/api/devices/{mac}");
            return device.GetProperty("downloads").GetArrayLength() > 0;
        });
        return Assert.Single(device.GetProperty("downloads").EnumerateArray());
    }

    [Fact]
    public async Task Unknown_devices_get_404_by_default_and_the_general_file_when_the_policy_says_so()
    {
        await using (var strict = await HttpHost.StartAsync())
        {
            await strict.PutXmlAsync("/api/settings/general", "<s>{mac}</s>");
            var r = await strict.Client.GetAsync("/settings/000413123456.xml");
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType!.MediaType);
        }
        await using var lenient = await HttpHost.StartAsync(o => o with { UnknownDevicePolicy = UnknownDevicePolicy.ServeGeneral });
        await lenient.PutXmlAsync("/api/settings/general", "<s>{mac}</s>");
        Assert.Equal("<s>000413123456</s>", await lenient.Client.GetStringAsync("/settings/000413123456.xml"));
    }

    [Fact]
    public async Task Downloads_beyond_the_admission_limit_get_503_with_a_jittered_retry_after()
    {
        await using var host = await HttpHost.StartAsync(o => o with
        {
            DownloadAdmission = new DownloadAdmissionOptions(PermitsPerSecond: 0.001, Burst: 2, RetryAfterMinSeconds: 3, RetryAfterMaxSeconds: 7),
        });
        await host.SeeDeviceAsync("000413aabbcc");
        await host.PutXmlAsync("/api/settings/general", "<s/>");
        var statuses = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++) statuses.Add(await host.Client.GetAsync("/settings/000413aabbcc.xml"));
        Assert.Equal(2, statuses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var shed = statuses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.Equal(2, shed.Count);
        Assert.All(shed, r => Assert.InRange(r.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 3, 7));
        Assert.Equal(2, host.Services.GetRequiredService<SnomActors.Http.Downloads.DownloadAdmission>().Shed);

        // /metrics counts them by status, and the exposition carries the same numbers.
        var counters = host.Services.GetRequiredService<SnomActors.Http.Downloads.DownloadCounters>();
        Assert.Equal(2, counters.ByStatus[200]);
        Assert.Equal(2, counters.ByStatus[503]);
        var output = new StringWriter();
        counters.Write(new SnomActors.Server.Metrics.PrometheusWriter(output));
        var text = output.ToString();
        Assert.Contains("snomactors_settings_downloads_total{status=\"200\"} 2", text);
        Assert.Contains("snomactors_settings_downloads_total{status=\"503\"} 2", text);
    }
}

/// <summary>One host for the many read-only MAC cases (a phone 000413aabbcc and a general document "&lt;s&gt;{mac}&lt;/s&gt;").</summary>
internal static class SharedHost
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static HttpHost? _host;

    public static async Task<NonDisposing> GetAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_host is null)
            {
                var host = await HttpHost.StartAsync();
                await host.SeeDeviceAsync("000413aabbcc");
                await host.PutXmlAsync("/api/settings/general", "<s>{mac}</s>");
                _host = host;
                // Lives for the test run; leave no database behind in /tmp.
                AppDomain.CurrentDomain.ProcessExit += (_, _) => host.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
            }
            return new NonDisposing(_host);
        }
        finally { Gate.Release(); }
    }

    /// <summary>The shared host lives for the test run; disposing the handle does nothing.</summary>
    public sealed class NonDisposing(HttpHost host) : IAsyncDisposable
    {
        public Task<(int Status, string Head, string Body)> RawGetAsync(string target) => host.RawGetAsync(target);
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
