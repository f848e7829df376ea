using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SnomActors.EndToEnd.Tests.Support;

namespace SnomActors.EndToEnd.Tests;

/// <summary>
/// Ctrl-C / SIGTERM stops the daemon cleanly with exit code 0 (issue 2 item 7); a NOTIFY in flight
/// is finished first (issue 5 item 5: graceful shutdown lets in-flight NOTIFY transactions complete).
/// </summary>
public sealed class DaemonLifecycleTests
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Sigterm_after_a_completed_exchange_stops_the_daemon_with_exit_code_0_within_ten_seconds()
    {
        var daemon = await LoopbackDaemon.StartAsync();
        try
        {
            using var phone = PhoneSocket.OnLoopback();
            phone.Send(TestMessages.Subscribe(phone.LocalEndPoint, TestMessages.NewMac(), $"e2e-life-{Guid.NewGuid():N}"), daemon.Sip);
            Assert.Equal(200, (await phone.ExpectAsync("the 200", Answer)).Message.StatusCode);
            phone.Answer(await phone.ExpectAsync("the NOTIFY", Answer));
        }
        finally
        {
            var log = daemon.Process.Describe();
            await daemon.DisposeAsync();
            Assert.True(daemon.Termination is not null, $"the daemon was still running 10 s after SIGTERM (killed)\n{log}");
        }
        Assert.Equal(0, daemon.Termination!.Value.ExitCode);
    }

    [Fact]
    public async Task A_daemon_whose_HTTP_port_is_taken_never_answers_a_SUBSCRIBE_and_exits_with_an_error()
    {
        // The NOTIFY tells the phone where to download: it must not go out before that URL works.
        var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var data = Directory.CreateTempSubdirectory("snomactors-e2e-").FullName;
        try
        {
            var httpPort = ((IPEndPoint)taken.LocalEndpoint).Port;
            var sip = new IPEndPoint(IPAddress.Loopback, LoopbackDaemon.FreeUdpPort());
            using var daemon = DaemonProcess.Start(
            [
                "--no-multicast", "--sip-address", "127.0.0.1", "--sip-port", sip.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--http-url", $"http://127.0.0.1:{httpPort}", "--data", Path.Combine(data, "data"),
            ], data);
            using var phone = PhoneSocket.OnLoopback();
            var answers = new List<Arrival>();
            var watch = Stopwatch.StartNew();
            // A phone that keeps booting into PnP while the daemon starts (every 20 ms, a new dialog each time).
            while (!daemon.HasExited && watch.Elapsed < LoopbackDaemon.StartTimeout)
            {
                phone.Send(TestMessages.Subscribe(phone.LocalEndPoint, TestMessages.NewMac(), $"e2e-life-port-{Guid.NewGuid():N}"), sip);
                if (await phone.ReceiveAsync(TimeSpan.FromMilliseconds(20)) is { } arrival) answers.Add(arrival);
            }
            var exit = await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10));
            Assert.True(exit is not null, $"the daemon still runs {watch.Elapsed.TotalSeconds:0} s after start with its HTTP port taken\n{daemon.Describe()}");
            Assert.NotEqual(0, exit);
            if (answers.Count > 0)
                Assert.Fail($"the daemon answered {answers.Count} datagram(s) although it could never serve a download, first:\n{answers[0].Message}\n{daemon.Describe()}");
        }
        finally
        {
            taken.Stop();
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Sigterm_with_a_notify_in_flight_keeps_retransmitting_it_and_exits_0_once_the_phone_answers()
    {
        var daemon = await LoopbackDaemon.StartAsync();
        try
        {
            await daemon.PutGeneralSettingsAsync();
            using var phone = PhoneSocket.OnLoopback();
            var mac = TestMessages.NewMac();
            phone.Send(TestMessages.Subscribe(phone.LocalEndPoint, mac, $"e2e-life-open-{Guid.NewGuid():N}"), daemon.Sip);
            Assert.Equal(200, (await phone.ExpectAsync("the 200", Answer)).Message.StatusCode);
            var notify = await phone.ExpectAsync("the NOTIFY", Answer);
            Assert.Equal("NOTIFY", notify.Message.Method);

            daemon.Process.SendSigterm();
            // Still alive and still retransmitting the same NOTIFY while it drains.
            var copy = await phone.ExpectAsync("a NOTIFY retransmission after SIGTERM", TimeSpan.FromSeconds(5), () => daemon.Process.Describe());
            Assert.True(copy.Message.Raw.AsSpan().SequenceEqual(notify.Message.Raw), $"expected the same NOTIFY again, got:\n{copy.Message}");
            Assert.False(daemon.Process.HasExited, "the daemon exited with its NOTIFY unanswered");
            // The URL in that NOTIFY still works: the HTTP side stays up while dialogs drain.
            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
            {
                using var download = await http.GetAsync(daemon.SettingsUrl(mac));
                Assert.True(download.StatusCode == System.Net.HttpStatusCode.OK,
                    $"downloading the settings while the daemon drains: {(int)download.StatusCode}\n{daemon.Process.Describe()}");
            }

            var watch = Stopwatch.StartNew();
            phone.Answer(copy);
            // The answer ends the last dialog, the drain is over, and the host stops.
            var exit = await daemon.Process.WaitForExitAsync(TimeSpan.FromSeconds(15));
            Assert.True(exit is not null, $"the daemon still ran 15 s after its last NOTIFY was answered\n{daemon.Process.Describe()}");
            Assert.Equal(0, exit);
            Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(15));
        }
        finally
        {
            await daemon.DisposeAsync();
        }
    }
}
