using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SnomActors.Http.Security;

namespace SnomActors.Http.Tests.Security;

/// <summary>Issue 5 item 4: the admin page and API need the credential generated at first start.</summary>
public sealed class AdminAuthTests
{
    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    [Fact]
    public async Task An_unauthenticated_api_call_gets_a_401_problem_with_a_Basic_challenge_the_browser_can_answer()
    {
        await using var secure = await SecureHost.StartAsync();

        var response = await secure.Anonymous.GetAsync("/api/devices");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var schemes = response.Headers.WwwAuthenticate.Select(c => c.Scheme).ToList();
        Assert.Equal(["Basic", "Bearer"], schemes);
        Assert.Contains("realm=\"SnomActors\"", response.Headers.WwwAuthenticate.First().Parameter);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task The_generated_token_is_accepted_as_Bearer_and_as_Basic_password_of_admin()
    {
        await using var secure = await SecureHost.StartAsync();
        Assert.Equal(43, secure.AdminToken.Length);

        using (var bearer = new HttpRequestMessage(HttpMethod.Get, "/api/devices"))
        {
            bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secure.AdminToken);
            Assert.Equal(HttpStatusCode.OK, (await secure.Anonymous.SendAsync(bearer)).StatusCode);
        }
        using (var basic = new HttpRequestMessage(HttpMethod.Get, "/api/stats"))
        {
            basic.Headers.Authorization = Basic("admin", secure.AdminToken);
            Assert.Equal(HttpStatusCode.OK, (await secure.Anonymous.SendAsync(basic)).StatusCode);
        }
        using (var otherUser = new HttpRequestMessage(HttpMethod.Get, "/api/stats"))
        {
            otherUser.Headers.Authorization = Basic("root", secure.AdminToken);
            Assert.Equal(HttpStatusCode.Unauthorized, (await secure.Anonymous.SendAsync(otherUser)).StatusCode);
        }
    }

    [Fact]
    public async Task A_settings_version_uploaded_without_an_author_names_the_authenticated_admin_and_the_client_address()
    {
        await using var secure = await SecureHost.StartAsync();
        async Task<HttpStatusCode> UploadAsync(AuthenticationHeaderValue credential, string query)
        {
            using var put = new HttpRequestMessage(HttpMethod.Put, "/api/settings/general" + query)
            {
                Content = new StringContent("<settings/>", Encoding.UTF8, "application/xml"),
            };
            put.Headers.Authorization = credential;
            return (await secure.Anonymous.SendAsync(put)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.Created, await UploadAsync(new AuthenticationHeaderValue("Bearer", secure.AdminToken), ""));
        Assert.Equal(HttpStatusCode.Created, await UploadAsync(Basic("admin", secure.AdminToken), "?author=%20%20"));
        Assert.Equal(HttpStatusCode.Created, await UploadAsync(Basic("admin", secure.AdminToken), "?author=alice"));

        using var list = new HttpRequestMessage(HttpMethod.Get, "/api/settings/general/versions");
        list.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secure.AdminToken);
        var versions = await (await secure.Anonymous.SendAsync(list)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["alice", "admin (Basic) from 127.0.0.1", "admin (Bearer) from 127.0.0.1"],
            versions.EnumerateArray().Select(v => v.GetProperty("author").GetString()));
    }

    [Fact]
    public async Task The_token_file_is_readable_by_the_owner_only_and_only_its_hash_is_kept_beside_it()
    {
        await using var secure = await SecureHost.StartAsync();
        var tokenFile = Path.Combine(secure.DataDirectory, AdminCredentialFile.TokenFileName);
        var hashFile = Path.Combine(secure.DataDirectory, AdminCredentialFile.HashFileName);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(hashFile));
        }
        var hash = File.ReadAllText(hashFile);
        Assert.StartsWith("sha256:", hash);
        Assert.DoesNotContain(secure.AdminToken, hash);
        Assert.Contains(secure.Logs.Lines, l => l.Contains("Admin credential generated", StringComparison.Ordinal));
        Assert.DoesNotContain(secure.Logs.Lines, l => l.Contains(secure.AdminToken, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Wrong_tokens_get_401_and_after_the_free_failures_one_address_is_slowed_with_429_even_for_the_right_token()
    {
        await using var secure = await SecureHost.StartAsync(configure: o => o with { AdminBackoff = new BackoffOptions(FreeFailures: 3, FirstBlock: TimeSpan.FromSeconds(30)) });
        for (var i = 0; i < 3; i++)
        {
            using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/devices");
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "guess-" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, (await secure.Anonymous.SendAsync(wrong)).StatusCode);
        }
        using (var fourth = new HttpRequestMessage(HttpMethod.Get, "/api/devices"))
        {
            fourth.Headers.Authorization = Basic("admin", "guess-4");
            Assert.Equal(HttpStatusCode.Unauthorized, (await secure.Anonymous.SendAsync(fourth)).StatusCode);
        }

        var blocked = await secure.Host.Client.GetAsync("/api/devices"); // the right token, same address
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.InRange(blocked.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 30);
        Assert.Equal("application/problem+json", blocked.Content.Headers.ContentType!.MediaType);
        var counters = (SecurityCounters)secure.Host.Services.GetService(typeof(SecurityCounters))!;
        Assert.Equal(4, counters.AdminFailures["wrong-credential"]);
        Assert.Equal(1, counters.BackoffRefusals["admin"]);
        Assert.DoesNotContain(secure.Logs.Lines, l => l.Contains("guess-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_page_static_files_downloads_health_and_openapi_stay_open()
    {
        await using var secure = await SecureHost.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await secure.Anonymous.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await secure.Anonymous.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await secure.Anonymous.GetAsync("/openapi/v1.json")).StatusCode);
        // An unknown phone: 404 from the download endpoint itself, not a 401 from the admin check.
        Assert.Equal(HttpStatusCode.NotFound, (await secure.Anonymous.GetAsync("/settings/000413aabbcc.xml")).StatusCode);
        // /metrics is open by default (not mapped by this host: 404, not 401).
        Assert.Equal(HttpStatusCode.NotFound, (await secure.Anonymous.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task With_MetricsAuth_the_scrape_endpoint_needs_the_admin_token_too()
    {
        await using var secure = await SecureHost.StartAsync(configure: o => o with { MetricsAuth = true });
        Assert.Equal(HttpStatusCode.Unauthorized, (await secure.Anonymous.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await secure.Host.Client.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task With_AdminAuth_off_the_api_is_open_and_no_credential_is_written()
    {
        await using var secure = await SecureHost.StartAsync(configure: o => o with { AdminAuth = false });
        Assert.Equal(HttpStatusCode.OK, (await secure.Anonymous.GetAsync("/api/devices")).StatusCode);
        Assert.False(File.Exists(Path.Combine(secure.DataDirectory, AdminCredentialFile.TokenFileName)));
        Assert.Contains(secure.Logs.Lines, l => l.Contains("Admin authentication is OFF", StringComparison.Ordinal));
    }
}

/// <summary>The credential files across restarts.</summary>
public sealed class AdminCredentialFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "snomactors-cred-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void A_second_start_reuses_the_credential_and_the_hash_alone_still_verifies_once_the_token_file_is_removed()
    {
        var first = AdminCredentialFile.Ensure(_dir);
        var token = File.ReadAllText(first.TokenPath).Trim();
        var second = AdminCredentialFile.Ensure(_dir);
        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(first.Sha256, second.Sha256);

        File.Delete(first.TokenPath);
        var third = AdminCredentialFile.Ensure(_dir);
        Assert.False(third.Created);
        Assert.Equal(AdminCredentialFile.Hash(token), third.Sha256);
        Assert.False(File.Exists(first.TokenPath));
    }

    [Fact]
    public void An_operator_written_token_is_adopted_and_a_short_one_refused()
    {
        AdminCredentialFile.Ensure(_dir);
        var path = Path.Combine(_dir, AdminCredentialFile.TokenFileName);
        File.WriteAllText(path, new string('x', 40));
        Assert.Equal(AdminCredentialFile.Hash(new string('x', 40)), AdminCredentialFile.Ensure(_dir).Sha256);
        File.WriteAllText(path, "short");
        Assert.Throws<InvalidDataException>(() => AdminCredentialFile.Ensure(_dir));
    }
}

/// <summary>The back-off arithmetic on a fake clock.</summary>
public sealed class FailureBackoffTests
{
    private sealed class FakeTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void Blocks_double_after_the_free_failures_up_to_the_cap_and_a_quiet_source_is_forgiven()
    {
        var time = new FakeTime();
        var backoff = new FailureBackoff(new BackoffOptions(FreeFailures: 2, FirstBlock: TimeSpan.FromSeconds(1), MaxBlock: TimeSpan.FromSeconds(5), ForgetAfter: TimeSpan.FromMinutes(1)), time);
        var ip = IPAddress.Parse("10.0.0.7");
        Assert.Equal(TimeSpan.Zero, backoff.Failure(ip));
        Assert.Equal(TimeSpan.Zero, backoff.Failure(ip));
        Assert.False(backoff.IsBlocked(ip, out _));
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.Failure(ip));
        Assert.Equal(TimeSpan.FromSeconds(2), backoff.Failure(ip));
        Assert.Equal(TimeSpan.FromSeconds(4), backoff.Failure(ip));
        Assert.Equal(TimeSpan.FromSeconds(5), backoff.Failure(ip));
        Assert.True(backoff.IsBlocked(ip, out var left));
        Assert.Equal(TimeSpan.FromSeconds(5), left);
        Assert.False(backoff.IsBlocked(IPAddress.Parse("10.0.0.8"), out _));

        time.Now += TimeSpan.FromMinutes(2);
        Assert.False(backoff.IsBlocked(ip, out _));
        Assert.Equal(TimeSpan.Zero, backoff.Failure(ip)); // forgiven: free failures again
    }

    [Fact]
    public void The_table_stays_bounded_under_a_flood_of_sources()
    {
        var time = new FakeTime();
        var backoff = new FailureBackoff(new BackoffOptions(FreeFailures: 5, MaxTrackedSources: 100), time);
        for (var i = 0; i < 1_000; i++) backoff.Failure(new IPAddress(BitConverter.GetBytes(0x0a000000 + i)));
        Assert.InRange(backoff.TrackedSources, 1, 100);
    }
}
