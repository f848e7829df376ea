using System.Globalization;
using System.Net;
using SnomActors.EndToEnd.Tests.Support;

namespace SnomActors.EndToEnd.Tests;

/// <summary>
/// The <c>snomactors run</c> flags of issue 2 item 7 as a phone sees them: <c>--http-url</c> is what
/// <c>{server}</c> in the default URL resolves against, <c>--provisioning-url</c> is the template the
/// NOTIFY carries; and Ctrl-C (SIGINT) stops the daemon with exit code 0 like SIGTERM.
/// </summary>
public sealed class DaemonCommandLineTests
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Starts the daemon on loopback (SIP on 127.0.0.1, kernel-chosen port) with the HTTP side on
    /// <paramref name="httpHost"/>:FREE, and waits until it is ready there.
    /// </summary>
    private static async Task<(DaemonProcess Daemon, string Data, int HttpPort)> StartAsync(string httpHost, params string[] extra)
    {
        var data = Directory.CreateTempSubdirectory("snomactors-e2e-").FullName;
        var httpPort = LoopbackDaemon.FreeTcpPort();
        var daemon = DaemonProcess.Start(
        [
            "--no-multicast", "--sip-address", "127.0.0.1", "--sip-port", "0",
            "--http-url", $"http://{httpHost}:{httpPort.ToString(CultureInfo.InvariantCulture)}", "--data", Path.Combine(data, "data"),
            .. extra,
        ], data);
        try
        {
            await daemon.WaitForSipBoundAsync(LoopbackDaemon.StartTimeout);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            await daemon.WaitForReadyAsync(http, new Uri($"http://{httpHost}:{httpPort}/"), LoopbackDaemon.StartTimeout);
            return (daemon, data, httpPort);
        }
        catch
        {
            daemon.Dispose();
            Directory.Delete(data, recursive: true);
            throw;
        }
    }

    /// <summary>Sends a snom SUBSCRIBE for <paramref name="mac"/>, answers the NOTIFY and returns its body.</summary>
    private static async Task<string> ProvisionAsync(DaemonProcess daemon, string mac)
    {
        using var phone = PhoneSocket.OnLoopback();
        var sip = new IPEndPoint(IPAddress.Loopback, daemon.SipPort);
        phone.Send(TestMessages.Subscribe(phone.LocalEndPoint, mac, $"e2e-flags-{Guid.NewGuid():N}"), sip);
        var ok = await phone.ExpectAsync("the 200", Answer, () => daemon.Describe());
        Assert.Equal(200, ok.Message.StatusCode);
        var notify = await phone.ExpectAsync("the NOTIFY", Answer, () => daemon.Describe());
        Assert.Equal("NOTIFY", notify.Message.Method);
        phone.Answer(notify);
        return notify.Message.Body.TrimEnd('\r', '\n');
    }

    private static async Task StopAsync(DaemonProcess daemon, string data)
    {
        try
        {
            Assert.Equal(0, (await daemon.TerminateAsync(TimeSpan.FromSeconds(10)))?.ExitCode);
        }
        finally
        {
            daemon.Dispose();
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task The_default_url_names_the_http_url_host_rather_than_the_address_the_SUBSCRIBE_arrived_on()
    {
        // SIP arrives on 127.0.0.1; the HTTP side listens on 127.0.0.2 only: that is where the phone must go.
        var (daemon, data, httpPort) = await StartAsync("127.0.0.2");
        try
        {
            var mac = TestMessages.NewMac();
            Assert.Equal($"http://127.0.0.2:{httpPort}/settings/{mac}.xml", await ProvisionAsync(daemon, mac));
        }
        finally
        {
            await StopAsync(daemon, data);
        }
    }

    [Fact]
    public async Task The_provisioning_url_flag_is_the_template_the_NOTIFY_carries()
    {
        var (daemon, data, _) = await StartAsync("127.0.0.1", "--provisioning-url", "http://prov.example.net/{vendor}/{model}/{mac}.cfg?ip={ip}&fw={version}");
        try
        {
            var mac = TestMessages.NewMac();
            Assert.Equal($"http://prov.example.net/snom/snom360/{mac}.cfg?ip=127.0.0.1&fw=8.7.5", await ProvisionAsync(daemon, mac));
        }
        finally
        {
            await StopAsync(daemon, data);
        }
    }

    [Fact]
    public async Task Ctrl_C_stops_the_daemon_with_exit_code_0()
    {
        var (daemon, data, _) = await StartAsync("127.0.0.1");
        try
        {
            await ProvisionAsync(daemon, TestMessages.NewMac());
            daemon.SendSigint();
            var exit = await daemon.WaitForExitAsync(TimeSpan.FromSeconds(15));
            Assert.True(exit is not null, $"the daemon still ran 15 s after SIGINT\n{daemon.Describe()}");
            Assert.Equal(0, exit);
        }
        finally
        {
            daemon.Dispose();
            Directory.Delete(data, recursive: true);
        }
    }
}
