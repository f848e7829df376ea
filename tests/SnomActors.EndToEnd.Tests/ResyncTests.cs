using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using SnomActors.EndToEnd.Tests.Support;

namespace SnomActors.EndToEnd.Tests;

/// <summary>
/// Push re-provisioning over the wire (issue 6 item 3, "How it is tested": resync sends a
/// well-formed check-sync NOTIFY that a SIPp UAS scenario accepts). A phone is provisioned by the
/// real daemon over loopback; then SIPp (tests/sipp/check_sync_uas.xml) takes over the phone's
/// address and the operator API's resync must reach it there and record its 200.
/// </summary>
[Collection(LoopbackDaemonCollection.Name)]
public sealed class ResyncTests(LoopbackDaemonFixture fixture)
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(5);
    private readonly LoopbackDaemon _daemon = fixture.Daemon;

    [Fact]
    public async Task A_resync_from_the_API_sends_a_check_sync_notify_that_a_SIPp_phone_at_the_last_address_accepts_and_the_200_is_reported()
    {
        var sipp = FindSipp()
            ?? throw new Xunit.Sdk.XunitException("sipp is not installed: install Debian's sip-tester (`apt-get install -y sip-tester`); CI's .ci/run installs it.");
        using var http = Api();
        var mac = TestMessages.NewMac();

        // 1. The phone boots: SUBSCRIBE → 200 → NOTIFY → our 200. The registry now has its address.
        int phonePort;
        using (var phone = PhoneSocket.OnLoopback())
        {
            phonePort = phone.LocalEndPoint.Port;
            phone.Send(TestMessages.Subscribe(phone.LocalEndPoint, mac, $"e2e-resync-{Guid.NewGuid():N}"), _daemon.Sip);
            var ok = await phone.ExpectAsync("the 200 to the SUBSCRIBE", Answer, Log);
            Assert.True(ok.Message.StatusCode == 200, $"expected 200, got:\n{ok.Message}");
            var notify = await phone.ExpectAsync("the NOTIFY", Answer, Log);
            Assert.Equal("NOTIFY", notify.Message.Method);
            phone.Answer(notify);
            await Eventually(async () =>
            {
                var device = await http.GetAsync($"api/devices/{mac}");
                if (device.StatusCode != HttpStatusCode.OK) return false;
                var json = await device.Content.ReadFromJsonAsync<JsonElement>();
                return json.GetProperty("state").GetString() == "provisioned" && json.GetProperty("lastIp").GetString() == "127.0.0.1";
            }, TimeSpan.FromSeconds(10), $"device {mac} provisioned in the registry");
        }

        // 2. SIPp plays the running phone on the same address and port.
        var work = Directory.CreateTempSubdirectory("snomactors-e2e-resync-").FullName;
        try
        {
            File.Copy(Path.Combine(DaemonPaths.RepoRoot, "tests", "sipp", "check_sync_uas.xml"), Path.Combine(work, "check_sync_uas.xml"));
            var start = new ProcessStartInfo(sipp)
            {
                WorkingDirectory = work,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[]
                     {
                         "-sf", "check_sync_uas.xml", "-i", "127.0.0.1", "-p", phonePort.ToString(CultureInfo.InvariantCulture),
                         "-m", "1", "-timeout", "20s", "-timeout_error", "-nostdin", "-trace_err",
                     })
                start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            try
            {
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                await Eventually(() => Task.FromResult(PortTaken(phonePort) || process.HasExited), TimeSpan.FromSeconds(10), "SIPp listening");
                if (process.HasExited)
                    throw new Xunit.Sdk.XunitException($"sipp exited early ({process.ExitCode}):\n{await stdout}\n{await stderr}");

                // 3. The operator pushes a resync.
                var queued = await http.PostAsync($"api/devices/{mac}/resync?reboot=false", null);
                Assert.True(queued.StatusCode == HttpStatusCode.Accepted, $"{(int)queued.StatusCode} {await queued.Content.ReadAsStringAsync()}");
                Assert.Equal(1, (await queued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("queued").GetInt32());

                using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                {
                    try
                    {
                        await process.WaitForExitAsync(cts.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        process.Kill();
                        await process.WaitForExitAsync();
                    }
                }
                var errors = Directory.GetFiles(work, "*_errors.log").Select(File.ReadAllText).FirstOrDefault() ?? "";
                Assert.True(process.ExitCode == 0,
                    $"sipp exited {process.ExitCode} (0 = it received a check-sync NOTIFY with reboot=false and answered 200)\n{await stdout}\n{await stderr}\n--- sipp errors ---\n{errors}\n{Log()}");

                // 4. The daemon recorded the phone's answer.
                JsonElement outcome = default;
                await Eventually(async () =>
                {
                    var status = await http.GetFromJsonAsync<JsonElement>("api/resync");
                    var mine = status.GetProperty("recent").EnumerateArray().Where(o => o.GetProperty("mac").GetString() == mac).ToList();
                    if (mine.Count == 0) return false;
                    outcome = mine[0];
                    return true;
                }, TimeSpan.FromSeconds(5), "the outcome in GET /api/resync");
                Assert.Equal(200, outcome.GetProperty("status").GetInt32());
                Assert.Equal($"127.0.0.1:{phonePort}", outcome.GetProperty("target").GetString());
            }
            finally
            {
                if (!process.HasExited) process.Kill();
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task A_resync_of_a_phone_the_daemon_never_saw_is_a_404_problem()
    {
        using var http = Api();

        var response = await http.PostAsync($"api/devices/{TestMessages.NewMac()}/resync", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>The operator API, with the daemon's admin token when it generated one (issue 5).</summary>
    private HttpClient Api()
    {
        var http = new HttpClient { BaseAddress = _daemon.HttpBase, Timeout = TimeSpan.FromSeconds(10) };
        var token = Path.Combine(_daemon.DataDirectory, "data", "admin-token");
        if (File.Exists(token)) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(token).Trim());
        return http;
    }

    /// <summary>True when something (SIPp) has bound the UDP port on 127.0.0.1.</summary>
    private static bool PortTaken(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return true;
        }
    }

    private async Task Eventually(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"timed out waiting for {what}\n{Log()}");
            await Task.Delay(50);
        }
    }

    private string Log() => _daemon.Process.Describe();

    private static string? FindSipp() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin")
            .Select(dir => Path.Combine(dir, "sipp"))
            .FirstOrDefault(File.Exists);
}
