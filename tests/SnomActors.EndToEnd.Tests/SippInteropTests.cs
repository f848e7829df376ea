using System.Diagnostics;
using SnomActors.EndToEnd.Tests.Support;

namespace SnomActors.EndToEnd.Tests;

/// <summary>
/// Interop with a real peer: SIPp (Debian <c>sip-tester</c>) plays 300 distinct snom phones with
/// tests/sipp/pnp_uac.xml against the daemon on loopback (issue 2, "How it is tested").
/// </summary>
[Collection(LoopbackDaemonCollection.Name)]
public sealed partial class SippInteropTests(LoopbackDaemonFixture fixture)
{
    private const int Calls = 300;
    private readonly LoopbackDaemon _daemon = fixture.Daemon;

    [Fact]
    public async Task Sipp_provisions_300_distinct_phones_and_every_call_succeeds()
    {
        var sipp = FindSipp()
            ?? throw new Xunit.Sdk.XunitException("sipp is not installed: install Debian's sip-tester (`apt-get install -y sip-tester`); CI's .ci/run installs it.");

        // SIPp writes its logs into the working directory: give it a private one with its own copies.
        var work = Directory.CreateTempSubdirectory("snomactors-e2e-sipp-").FullName;
        try
        {
            foreach (var file in new[] { "pnp_uac.xml", "macs.csv" })
                File.Copy(Path.Combine(AppContext.BaseDirectory, "sipp", file), Path.Combine(work, file));
            var localPort = LoopbackDaemon.FreeUdpPort();
            var start = new ProcessStartInfo(sipp)
            {
                WorkingDirectory = work,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[]
                     {
                         $"127.0.0.1:{_daemon.Sip.Port}", "-sf", "pnp_uac.xml", "-inf", "macs.csv",
                         "-i", "127.0.0.1", "-p", localPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                         "-m", Calls.ToString(System.Globalization.CultureInfo.InvariantCulture), "-r", "100", "-l", "200",
                         "-nostdin", "-timeout", "60s", "-timeout_error", "-trace_err",
                     })
                start.ArgumentList.Add(a);

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90)))
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
            var output = $"{await stdout}\n{await stderr}";
            Assert.True(process.ExitCode == 0,
                $"sipp exited {process.ExitCode} (0 = all calls successful)\n{Tail(output, 60)}\n--- sipp errors ---\n{Tail(errors, 40)}\n{_daemon.Process.Describe(40)}");

            // The registry says which phones the daemon provisioned: all 300 MACs of the injection file.
            // (Not the log: per-dialog outcome lines are rate-limited under load by design.)
            var expected = File.ReadLines(Path.Combine(work, "macs.csv")).Skip(1).Take(Calls).Select(l => l.Split(';')[1]).ToHashSet();
            Assert.Equal(Calls, expected.Count);
            using var api = new HttpClient { BaseAddress = _daemon.HttpBase, Timeout = TimeSpan.FromSeconds(10) };
            var tokenFile = Path.Combine(_daemon.DataDirectory, "data", "admin-token");
            if (File.Exists(tokenFile))
                api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", File.ReadAllText(tokenFile).Trim());
            var missing = expected;
            for (var wait = 0; wait < 50 && missing.Count > 0; wait++)
            {
                var stillMissing = new HashSet<string>();
                foreach (var mac in missing)
                {
                    using var response = await api.GetAsync($"/api/devices/{mac}");
                    var body = response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : "";
                    if (!body.Contains("\"notifyAcked\":\"", StringComparison.Ordinal)) stillMissing.Add(mac);
                }
                missing = stillMissing;
                if (missing.Count > 0) await Task.Delay(100);
            }
            Assert.True(missing.Count == 0, $"{missing.Count} MACs never recorded as provisioned (NOTIFY acknowledged), e.g. {string.Join(", ", missing.Take(5))}");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    internal static string? FindSipp()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin"))
        {
            var candidate = Path.Combine(dir, "sipp");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string Tail(string text, int lines) => string.Join('\n', text.Split('\n').TakeLast(lines));
}
