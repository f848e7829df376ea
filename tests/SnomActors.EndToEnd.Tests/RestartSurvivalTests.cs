using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;
using SnomActors.EndToEnd.Tests.Support;
using SnomActors.Sip.Tests.Corpus;

namespace SnomActors.EndToEnd.Tests;

/// <summary>
/// Issue 3, "Done when": what an operator did (settings versions, imported accounts) and what a phone
/// did (its provisioning steps, its download and which settings version it got) survives a clean
/// restart of the real daemon, in the embedded SQLite file by default and in PostgreSQL when a
/// connection string is configured.
/// </summary>
public sealed class RestartSurvivalTests
{
    private const string Sqlite = "sqlite";
    private const string Postgres = "postgres";
    private const string PgEnvironmentVariable = "SNOMACTORS_TEST_PG";
    private const string SnomMac = "00041329882c"; // the captured snom 360's
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(5);

    public static TheoryData<string> Stores => new() { Sqlite, Postgres };

    [SkippableTheory]
    [MemberData(nameof(Stores))]
    public async Task Settings_versions_accounts_and_a_phones_provisioning_and_download_survive_a_restart(string store)
    {
        var (environment, dropSchema) = store == Postgres ? await PrivatePostgresSchemaAsync() : (null, null);
        try
        {
            var first = await LoopbackDaemon.StartAsync(environment);
            LoopbackDaemon? second = null;
            try
            {
                // The store really is the one configured: no SQLite file when PostgreSQL is in use.
                Assert.Equal(store == Sqlite, File.Exists(first.DatabaseFile));

                using (var admin = first.AdminClient())
                {
                    await PutGeneralAsync(admin, "<settings><phone-settings><user_name idx=\"1\" perm=\"\">{user}</user_name></phone-settings></settings>\n");
                    await PutGeneralAsync(admin,
                        "<settings><phone-settings><user_name idx=\"1\" perm=\"\">{user}</user_name>" +
                        "<user_realname idx=\"1\" perm=\"\">{display}</user_realname></phone-settings></settings>\n");
                    using var import = await admin.PostAsync("/api/variables/import", new StringContent(
                        $"mac,user,display\n{SnomMac},201,R&D <Lab>\n000413aabb01,202,Sales\n", Encoding.UTF8, "text/csv"));
                    Assert.True(import.IsSuccessStatusCode, $"import: {(int)import.StatusCode} {await import.Content.ReadAsStringAsync()}");
                }

                var settingsUrl = await ProvisionSnom360Async(first);
                using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
                using var download = await plain.GetAsync(settingsUrl);
                Assert.Equal(HttpStatusCode.OK, download.StatusCode);
                var served = await download.Content.ReadAsStringAsync();
                Assert.Contains("<user_realname idx=\"1\" perm=\"\">R&amp;D &lt;Lab&gt;</user_realname>", served, StringComparison.Ordinal);
                var etag = download.Headers.ETag;
                Assert.NotNull(etag);

                // Writes are batched: wait until the registry shows the download before stopping.
                using var before = await WaitForDownloadAsync(first);
                string versionsBefore, variablesBefore;
                using (var admin = first.AdminClient())
                {
                    versionsBefore = await admin.GetStringAsync("/api/settings/general/versions");
                    variablesBefore = await admin.GetStringAsync("/api/variables/export");
                }

                var stopped = await first.Process.TerminateAsync(TimeSpan.FromSeconds(20));
                Assert.True(stopped is { ExitCode: 0 }, $"SIGTERM should stop the daemon with 0, got {stopped?.ExitCode.ToString() ?? "no exit"}.\n{first.Process.Describe()}");
                second = await first.RestartAsync();

                using (var admin = second.AdminClient())
                {
                    using var after = JsonDocument.Parse(await admin.GetStringAsync($"/api/devices/{SnomMac}"));
                    foreach (var field in new[] { "vendor", "model", "firmware", "userAgent", "lastIp", "firstSeen", "lastSeen", "state", "steps", "downloads", "variables" })
                        Assert.True(before.RootElement.GetProperty(field).GetRawText() == after.RootElement.GetProperty(field).GetRawText(),
                            $"{field} changed across the restart:\nbefore {before.RootElement.GetProperty(field).GetRawText()}\nafter  {after.RootElement.GetProperty(field).GetRawText()}");
                    Assert.Equal(versionsBefore, await admin.GetStringAsync("/api/settings/general/versions"));
                    Assert.Equal(variablesBefore, await admin.GetStringAsync("/api/variables/export"));
                }
                using var versions = JsonDocument.Parse(versionsBefore);
                Assert.Equal(2, versions.RootElement.EnumerateArray().Count());
                Assert.Contains("000413aabb01,Sales,202", variablesBefore, StringComparison.Ordinal);

                // The restarted daemon serves the phone the same document: its ETag still matches.
                using var conditional = new HttpRequestMessage(HttpMethod.Get, settingsUrl);
                conditional.Headers.IfNoneMatch.Add(etag);
                using var notModified = await plain.SendAsync(conditional);
                Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            }
            finally
            {
                if (second is not null) await second.DisposeAsync();
                await first.DisposeAsync();
            }
        }
        finally
        {
            if (dropSchema is not null) await dropSchema();
        }
    }

    private static async Task PutGeneralAsync(HttpClient admin, string xml)
    {
        using var put = await admin.PutAsync("/api/settings/general",
            new StringContent("<?xml version=\"1.0\"?>\n" + xml, Encoding.UTF8, "application/xml"));
        Assert.True(put.IsSuccessStatusCode, $"upload: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
    }

    /// <summary>The captured snom 360 SUBSCRIBE over real UDP: 200, NOTIFY, our 200; returns the NOTIFY's URL.</summary>
    private static async Task<string> ProvisionSnom360Async(LoopbackDaemon daemon)
    {
        using var phone = PhoneSocket.OnLoopback();
        var sample = VendorSamples.Load().Single(s => s.File == "snom-snom360.sip");
        phone.Send(TestMessages.RewriteSample(Encoding.UTF8.GetString(sample.Bytes), phone.LocalEndPoint, $"restart{Guid.NewGuid():N}"), daemon.Sip);
        var ok = await phone.ExpectAsync("the 200", Answer, () => daemon.Process.Describe());
        Assert.Equal(200, ok.Message.StatusCode);
        var notify = await phone.ExpectAsync("the NOTIFY", Answer, () => daemon.Process.Describe());
        Assert.Equal("NOTIFY", notify.Message.Method);
        phone.Answer(notify);
        return notify.Message.Body.Trim();
    }

    private static async Task<JsonDocument> WaitForDownloadAsync(LoopbackDaemon daemon)
    {
        using var admin = daemon.AdminClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            last = await admin.GetStringAsync($"/api/devices/{SnomMac}");
            var device = JsonDocument.Parse(last);
            var steps = device.RootElement.GetProperty("steps");
            if (device.RootElement.GetProperty("downloads").GetArrayLength() == 1
                && steps.TryGetProperty("settingsDownloaded", out var downloaded) && downloaded.ValueKind == JsonValueKind.String
                && steps.TryGetProperty("notifyAcked", out var acked) && acked.ValueKind == JsonValueKind.String)
                return device;
            device.Dispose();
            await Task.Delay(100);
        }
        throw new TimeoutException($"the registry never showed the acknowledged NOTIFY and the download:\n{last}");
    }

    /// <summary>
    /// A schema of its own in the <c>SNOMACTORS_TEST_PG</c> database (search path in the daemon's
    /// connection string), dropped afterwards; skipped with the reason when PostgreSQL is not there.
    /// </summary>
    private static async Task<(IReadOnlyDictionary<string, string>, Func<Task>)> PrivatePostgresSchemaAsync()
    {
        var baseConnection = Environment.GetEnvironmentVariable(PgEnvironmentVariable);
        Skip.If(string.IsNullOrWhiteSpace(baseConnection), $"PostgreSQL variant skipped: {PgEnvironmentVariable} is not set (.ci/run sets it)");
        var schema = "restart_" + Guid.NewGuid().ToString("N");
        try
        {
            await using var connection = new NpgsqlConnection(baseConnection);
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE SCHEMA {schema}", connection);
            await create.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException e)
        {
            Skip.If(true, $"PostgreSQL variant skipped: {PgEnvironmentVariable} does not answer ({e.Message})");
        }
        var daemonConnection = new NpgsqlConnectionStringBuilder(baseConnection) { SearchPath = schema }.ToString();
        var environment = new Dictionary<string, string> { ["SnomActors__Registry__PostgresConnectionString"] = daemonConnection };
        return (environment, async () =>
        {
            await using var connection = new NpgsqlConnection(baseConnection);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA {schema} CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        });
    }
}
