using System.Diagnostics;
using System.Net.Http.Headers;
using SnomActors.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace SnomActors.EndToEnd.Tests;

/// <summary>
/// Issue 4: <c>snomactors simulate --phones 500</c> against a real daemon on loopback exits 0 with
/// 500 provisioned — every simulated phone runs the PnP exchange and downloads its settings.
/// </summary>
public sealed class SimulateAgainstDaemonTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Five_hundred_simulated_phones_of_every_vendor_are_all_provisioned_and_download_their_settings()
    {
        await using var daemon = await LoopbackDaemon.StartAsync();
        using (var http = new HttpClient { BaseAddress = daemon.HttpBase })
        {
            var tokenFile = Path.Combine(daemon.DataDirectory, "data", "admin-token");
            if (File.Exists(tokenFile))
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await File.ReadAllTextAsync(tokenFile)).Trim());
            using var put = await http.PutAsync("/api/settings/general",
                new StringContent("<?xml version=\"1.0\"?>\n<settings><phone-settings><http_user>{mac}</http_user></phone-settings></settings>\n",
                    System.Text.Encoding.UTF8, "application/xml"));
            Assert.True(put.IsSuccessStatusCode, $"uploading the general settings: {(int)put.StatusCode}");
        }

        var start = new ProcessStartInfo(DaemonPaths.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     DaemonPaths.CliDll, "simulate", "--target", daemon.Sip.ToString(), "--phones", "500", "--rate", "0",
                     "--vendor", "snom=40,yealink=20,grandstream=15,gigaset=10,fanvil=15", "--seed", "4711", "--timeout", "90",
                 })
            start.ArgumentList.Add(arg);
        using var simulate = Process.Start(start)!;
        var stdout = simulate.StandardOutput.ReadToEndAsync();
        var stderr = simulate.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        try
        {
            await simulate.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            simulate.Kill(entireProcessTree: true);
            throw;
        }
        var text = await stdout;
        output.WriteLine(text);
        output.WriteLine(await stderr);
        Assert.True(simulate.ExitCode == 0, $"simulate exited {simulate.ExitCode}:\n{text}");
        Assert.Contains("provisioned: 500", text, StringComparison.Ordinal);
    }
}
