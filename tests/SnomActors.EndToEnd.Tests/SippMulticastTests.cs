using System.Diagnostics;
using System.Globalization;
using SnomActors.EndToEnd.Tests.Support;

namespace SnomActors.EndToEnd.Tests;

/// <summary>
/// The namespaced daemon of <see cref="MulticastNamespaceFixture"/> with the per-source rate limit
/// off (<c>--config</c> with <c>Sip:RatePerSource = 0</c>): every SIPp "phone" shares one source
/// address, and the default 10/s (burst 20) would shed most of them with silence on the group.
/// </summary>
public sealed class SippMulticastFixture : MulticastNamespaceFixture
{
    protected override IEnumerable<string> ExtraArguments(string dataDirectory)
    {
        var config = Path.Combine(dataDirectory, "sipp-multicast.json");
        File.WriteAllText(config, """{ "SnomActors": { "Sip": { "RatePerSource": 0 } } }""");
        return ["--config", config];
    }
}

/// <summary>
/// Interop with a real peer over multicast (issue 2, "Done when": provisions a real SIPp phone over
/// unicast and multicast): SIPp runs in the phone namespace and sends every SUBSCRIBE to
/// 224.0.1.75:5060 across the veth pair; the daemon answers by unicast from its own address.
/// </summary>
public sealed class SippMulticastTests(SippMulticastFixture fixture) : IClassFixture<SippMulticastFixture>
{
    private const int Calls = 200;

    [SkippableFact]
    public async Task Sipp_in_the_phone_namespace_provisions_200_distinct_phones_over_multicast()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var sipp = SippInteropTests.FindSipp()
            ?? throw new Xunit.Sdk.XunitException("sipp is not installed: install Debian's sip-tester (`apt-get install -y sip-tester`); CI's .ci/run installs it.");
        var ns = fixture.Namespaces!;

        var work = Directory.CreateTempSubdirectory("snomactors-e2e-sipp-mc-").FullName;
        try
        {
            foreach (var file in new[] { "pnp_uac.xml", "macs.csv" })
                File.Copy(Path.Combine(AppContext.BaseDirectory, "sipp", file), Path.Combine(work, file));
            var start = new ProcessStartInfo("ip")
            {
                WorkingDirectory = work,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            // ip netns exec execs SIPp: the process is SIPp itself, killed by pid if it overruns.
            foreach (var a in new[]
                     {
                         "netns", "exec", ns.Phone, sipp,
                         "224.0.1.75:5060", "-sf", "pnp_uac.xml", "-inf", "macs.csv",
                         "-i", ns.PhoneAddress.ToString(), "-p", "5062",
                         "-m", Calls.ToString(CultureInfo.InvariantCulture), "-r", "50", "-l", "100",
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
                $"sipp exited {process.ExitCode} (0 = all calls successful)\n{Tail(output, 60)}\n--- sipp errors ---\n{Tail(errors, 40)}\n{fixture.Daemon!.Describe(40)}");

            // The registry, asked from the phone namespace: every MAC of the run was provisioned.
            var expected = File.ReadLines(Path.Combine(work, "macs.csv")).Skip(1).Take(Calls).Select(l => l.Split(';')[1]).ToHashSet();
            Assert.Equal(Calls, expected.Count);
            using var api = ns.PhoneHttpClient();
            api.BaseAddress = new Uri($"http://{ns.ServerAddress}:{MulticastNamespaceFixture.HttpPort}/");
            var tokenFile = Path.Combine(fixture.DataDirectory, "data", "admin-token");
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
            // They came to the group: the daemon counted at least one multicast datagram per phone.
            var metrics = await api.GetStringAsync("/metrics");
            const string sample = "snomactors_udp_datagrams_received_total{destination=\"multicast\"} ";
            var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(sample, StringComparison.Ordinal));
            Assert.True(line is not null, $"no {sample.Trim()} in /metrics");
            Assert.True(double.Parse(line[sample.Length..], CultureInfo.InvariantCulture) >= Calls, line);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string Tail(string text, int lines) => string.Join('\n', text.Split('\n').TakeLast(lines));
}
