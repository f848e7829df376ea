using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SnomActors.Http.Security;
using SnomActors.Server.Provisioning;

namespace SnomActors.Http.Tests.Security;

/// <summary>Issue 5 item 4: a phone's settings (with its SIP password) only for the phone.</summary>
public sealed class TokenProtectionTests
{
    private const string Mac = "000413aabbcc";
    private const string Secret = "SIP-PASSWORD-OF-THE-PHONE";
    private static readonly DownloadProtectionPolicy TokenForAll = new() { Default = DownloadProtectionMode.Token };

    private static async Task<SecureHost> StartWithPhoneAsync(DownloadProtectionPolicy? policy = null, BackoffOptions? backoff = null)
    {
        var secure = await SecureHost.StartAsync(policy ?? TokenForAll, o => backoff is null ? o : o with { DownloadBackoff = backoff });
        await secure.Host.SeeDeviceAsync(Mac);
        Assert.Equal(HttpStatusCode.Created, (await secure.Host.PutXmlAsync("/api/settings/general", $"<settings><pw>{Secret}</pw></settings>")).StatusCode);
        return secure;
    }

    [Fact]
    public async Task Without_or_with_a_wrong_token_the_phone_gets_404_and_no_settings_bytes_and_with_the_right_one_200()
    {
        await using var secure = await StartWithPhoneAsync();
        var token = secure.Tokens.GetOrIssue(Mac); // as the router does at NOTIFY time

        foreach (var url in new[] { $"/settings/{Mac}.xml", $"/settings/{Mac}.xml?token=wrong", $"/settings/{Mac}.xml?token={token[..^1]}", $"/settings.xml?mac={Mac}" })
        {
            var refused = await secure.Anonymous.GetAsync(url);
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            Assert.DoesNotContain(Secret, await refused.Content.ReadAsStringAsync());
        }
        var served = await secure.Anonymous.GetAsync($"/settings/{Mac}.xml?token={token}");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Contains(Secret, await served.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await secure.Anonymous.GetAsync($"/settings.xml?mac={Mac}&token={token}")).StatusCode);

        // Refusals are recorded on the device with zero bytes, and counted.
        await HttpHostWait(async () =>
        {
            var detail = await secure.Host.GetJsonAsync($"/api/devices/{Mac}");
            var downloads = detail.GetProperty("downloads").EnumerateArray().ToList();
            return downloads.Count(d => d.GetProperty("status").GetInt32() == 404 && d.GetProperty("bytes").GetInt64() == 0) == 4
                && downloads.Count(d => d.GetProperty("status").GetInt32() == 200) == 2;
        });
        var counters = (SecurityCounters)secure.Host.Services.GetService(typeof(SecurityCounters))!;
        Assert.Equal(1 + 1, counters.DownloadRefusals[("token", "missing")]);
        Assert.Equal(2, counters.DownloadRefusals[("token", "wrong")]);
        Assert.DoesNotContain(secure.Logs.Lines, l => l.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wrong_token_answer_is_word_for_word_the_unknown_phone_answer()
    {
        await using var secure = await StartWithPhoneAsync();
        secure.Tokens.GetOrIssue(Mac);
        var known = await secure.Anonymous.GetAsync($"/settings/{Mac}.xml?token=x");
        var unknown = await secure.Anonymous.GetAsync("/settings/000413ddeeff.xml?token=x");
        Assert.Equal(known.StatusCode, unknown.StatusCode);
        var a = await known.Content.ReadFromJsonAsync<JsonElement>();
        var b = await unknown.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(a.GetProperty("title").GetString(), b.GetProperty("title").GetString());
        Assert.Equal(a.GetProperty("detail").GetString()!.Replace(Mac, "MAC"), b.GetProperty("detail").GetString()!.Replace("000413ddeeff", "MAC"));
    }

    [Fact]
    public async Task Rotating_through_the_api_returns_a_new_token_and_invalidates_the_old_one()
    {
        await using var secure = await StartWithPhoneAsync();
        var old = secure.Tokens.GetOrIssue(Mac);

        var rotate = await secure.Host.Client.PostAsync($"/api/devices/{Mac.ToUpperInvariant()}/token/rotate", null);
        Assert.Equal(HttpStatusCode.OK, rotate.StatusCode);
        var body = await rotate.Content.ReadFromJsonAsync<JsonElement>();
        var fresh = body.GetProperty("token").GetString()!;
        Assert.Equal(Mac, body.GetProperty("mac").GetString());
        Assert.NotEqual(old, fresh);

        Assert.Equal(HttpStatusCode.NotFound, (await secure.Anonymous.GetAsync($"/settings/{Mac}.xml?token={old}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await secure.Anonymous.GetAsync($"/settings/{Mac}.xml?token={fresh}")).StatusCode);
        Assert.Equal(fresh, (await secure.Host.GetJsonAsync($"/api/devices/{Mac}/token")).GetProperty("token").GetString());
        // Rotation needs the admin credential like the rest of the API.
        Assert.Equal(HttpStatusCode.Unauthorized, (await secure.Anonymous.PostAsync($"/api/devices/{Mac}/token/rotate", null)).StatusCode);
        Assert.DoesNotContain(secure.Logs.Lines, l => l.Contains(fresh, StringComparison.Ordinal) || l.Contains(old, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Guessing_tokens_from_one_address_is_slowed_with_429_and_Retry_After()
    {
        await using var secure = await StartWithPhoneAsync(backoff: new BackoffOptions(FreeFailures: 3, FirstBlock: TimeSpan.FromSeconds(20)));
        var token = secure.Tokens.GetOrIssue(Mac);
        for (var i = 0; i < 4; i++)
            Assert.Equal(HttpStatusCode.NotFound, (await secure.Anonymous.GetAsync($"/settings/{Mac}.xml?token=guess{i}")).StatusCode);

        var blocked = await secure.Anonymous.GetAsync($"/settings/{Mac}.xml?token={token}");
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.NotNull(blocked.Headers.RetryAfter);
        Assert.DoesNotContain(Secret, await blocked.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_policy_is_per_vendor_so_other_vendors_download_without_a_token()
    {
        var policy = new DownloadProtectionPolicy
        {
            Default = DownloadProtectionMode.None,
            Vendors = new Dictionary<string, DownloadProtectionMode> { ["yealink"] = DownloadProtectionMode.Token },
        };
        await using var secure = await StartWithPhoneAsync(policy);
        await secure.Host.SeeDeviceAsync("001565aabbcc", "yealink", "T46S");
        Assert.Equal(HttpStatusCode.OK, (await secure.Anonymous.GetAsync($"/settings/{Mac}.xml")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await secure.Anonymous.GetAsync("/settings/001565aabbcc.xml")).StatusCode);
    }

    [Fact]
    public async Task The_device_list_shows_the_notify_url_with_the_token_redacted()
    {
        await using var secure = await StartWithPhoneAsync();
        var token = secure.Tokens.GetOrIssue(Mac);
        // The exchange as the PnP core reports it: the NOTIFY's URL carries the token.
        var identity = new SnomActors.Sip.Identity.DeviceIdentity(Mac, "snom", "snom360", "8.7.5", "snom360/8.7.5");
        var phone = new IPEndPoint(IPAddress.Parse("10.1.2.3"), 5060);
        var events = secure.Host.System.EventStream;
        events.Publish(new SnomActors.Server.Messages.SubscribeSeen("c1", identity, phone, true, DateTimeOffset.UtcNow));
        events.Publish(new SnomActors.Server.Messages.NotifySent("c1", Mac, $"http://10.0.0.1:8080/settings/{Mac}.xml?token={token}", phone, DateTimeOffset.UtcNow));
        string? shown = null;
        await HttpHostWait(async () =>
        {
            shown = (await secure.Host.GetJsonAsync($"/api/devices/{Mac}")).GetProperty("notifyUrl").GetString();
            return shown?.Contains("token", StringComparison.Ordinal) == true;
        });
        Assert.Equal($"http://10.0.0.1:8080/settings/{Mac}.xml?token=***", shown);
    }

    internal static Task HttpHostWait(Func<Task<bool>> condition) => Http.HttpHost.Eventually(condition, 10_000);
}

/// <summary>HTTP Digest per device: user = MAC, password = the <c>http_password</c> variable.</summary>
public sealed class DigestProtectionTests
{
    private const string Mac = "000413aabbcc";
    private const string Password = "ph0ne-secret";
    private static readonly DownloadProtectionPolicy DigestForAll = new() { Default = DownloadProtectionMode.Digest };

    private static async Task<SecureHost> StartAsync()
    {
        var secure = await SecureHost.StartAsync(DigestForAll);
        await secure.Host.SeeDeviceAsync(Mac);
        await secure.Host.PutXmlAsync("/api/settings/general", "<settings><who>{mac}</who></settings>");
        var put = await secure.Host.Client.PutAsync($"/api/variables/{Mac}", new StringContent($"{{\"http_password\":\"{Password}\"}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        return secure;
    }

    private static async Task<HttpResponseMessage> GetWithDigestAsync(HttpClient client, string uri, string user, string password, string algorithm)
    {
        var challengeResponse = await client.GetAsync(uri);
        Assert.Equal(HttpStatusCode.Unauthorized, challengeResponse.StatusCode);
        var challenge = challengeResponse.Headers.WwwAuthenticate.Select(c => $"{c.Scheme} {c.Parameter}").Single(c => c.Contains($"algorithm={algorithm}", StringComparison.Ordinal));
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.TryAddWithoutValidation("Authorization", DigestAuthenticator.ClientHeader(challenge, user, password, "GET", uri, "0a4f113b"));
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Without_credentials_the_phone_is_challenged_with_SHA_256_first_and_MD5_for_older_phones()
    {
        await using var secure = await StartAsync();
        var response = await secure.Anonymous.GetAsync($"/settings/{Mac}.xml");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenges = response.Headers.WwwAuthenticate.ToList();
        Assert.Equal(2, challenges.Count);
        Assert.All(challenges, c => Assert.Equal("Digest", c.Scheme));
        Assert.Contains("algorithm=SHA-256", challenges[0].Parameter);
        Assert.Contains("algorithm=MD5", challenges[1].Parameter);
        Assert.Contains("qop=\"auth\"", challenges[0].Parameter);
        Assert.DoesNotContain(Mac, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("SHA-256")]
    [InlineData("MD5")]
    public async Task The_right_password_gets_the_settings(string algorithm)
    {
        await using var secure = await StartAsync();
        var response = await GetWithDigestAsync(secure.Anonymous, $"/settings/{Mac}.xml", Mac, Password, algorithm);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"<settings><who>{Mac}</who></settings>", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_wrong_password_or_another_phones_name_is_refused_counted_and_not_logged()
    {
        await using var secure = await StartAsync();
        var wrong = await GetWithDigestAsync(secure.Anonymous, $"/settings/{Mac}.xml", Mac, "guess", "SHA-256");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.NotEmpty(wrong.Headers.WwwAuthenticate);
        var otherUser = await GetWithDigestAsync(secure.Anonymous, $"/settings/{Mac}.xml", "000413000001", Password, "SHA-256");
        Assert.Equal(HttpStatusCode.Unauthorized, otherUser.StatusCode);
        var counters = (SecurityCounters)secure.Host.Services.GetService(typeof(SecurityCounters))!;
        Assert.Equal(1, counters.DownloadRefusals[("digest", "wrongresponse")]);
        Assert.Equal(1, counters.DownloadRefusals[("digest", "wronguser")]);
        Assert.DoesNotContain(secure.Logs.Lines, l => l.Contains(Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_phone_without_a_password_variable_can_never_authenticate()
    {
        await using var secure = await StartAsync();
        await secure.Host.SeeDeviceAsync("000413000002");
        var response = await GetWithDigestAsync(secure.Anonymous, "/settings/000413000002.xml", "000413000002", "", "SHA-256");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public void A_nonce_issued_for_one_phone_does_not_work_for_another_and_expires()
    {
        var time = new ManualTime();
        var digest = new DigestAuthenticator("SnomActors", time, TimeSpan.FromMinutes(5));
        var challenge = digest.Challenges("000413aabbcc")[0];
        var header = DigestAuthenticator.ClientHeader(challenge, "000413000001", "pw", "GET", "/settings/000413000001.xml", "c");
        Assert.Equal(DigestOutcome.BadNonce, digest.Verify(header, "GET", "/settings/000413000001.xml", "000413000001", "pw"));
        var own = DigestAuthenticator.ClientHeader(challenge, "000413aabbcc", "pw", "GET", "/settings/000413aabbcc.xml", "c");
        Assert.Equal(DigestOutcome.Ok, digest.Verify(own, "GET", "/settings/000413aabbcc.xml", "000413aabbcc", "pw"));
        Assert.Equal(DigestOutcome.WrongUser, digest.Verify(own, "GET", "/settings/000413aabbcc.xml?x=1", "000413aabbcc", "pw"));
        time.Now += TimeSpan.FromMinutes(6);
        Assert.Equal(DigestOutcome.Stale, digest.Verify(own, "GET", "/settings/000413aabbcc.xml", "000413aabbcc", "pw"));
    }

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
