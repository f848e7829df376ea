using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SnomActors.EndToEnd.Tests.Support;
using SnomActors.Sip.Tests.Corpus;
using Xunit.Abstractions;

namespace SnomActors.EndToEnd.Tests;

/// <summary>
/// Hostile input against the running daemon (issue 5, first test bullet): every PROTOS c07-sip
/// case over UDP, a control SUBSCRIBE after each hundred, then the daemon must be alive, still
/// provisioning, and within a memory bound. Its own daemon, so the memory figure is its alone.
/// </summary>
public sealed class ProtosOverUdpTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>The largest payload one IPv4 UDP datagram can carry.</summary>
    private const int MaxUdpPayload = 65_507;
    private const long RssBound = 400L * 1024 * 1024;
    private const int PacketsPerControl = 100;

    /// <summary>The PROTOS INVITEs carry Via 127.0.0.1:5062 (no rport): the daemon answers there.</summary>
    private const int ProtosViaPort = 5062;

    private LoopbackDaemon? _daemon;

    public async Task InitializeAsync() => _daemon = await LoopbackDaemon.StartAsync();

    public async Task DisposeAsync()
    {
        if (_daemon is not null) await _daemon.DisposeAsync();
    }

    [Fact]
    public async Task The_daemon_survives_every_protos_case_keeps_provisioning_and_stays_within_400_MB()
    {
        var daemon = _daemon!;
        using var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        attacker.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        attacker.SendBufferSize = 1 << 20;
        using var phone = PhoneSocket.OnLoopback();
        using var responses = ResponseCounter.TryListen(ProtosViaPort);

        var watch = Stopwatch.StartNew();
        int sent = 0, tooLarge = 0, controls = 0, number = 0;
        var rssBefore = daemon.Process.ResidentBytes();
        foreach (var @case in ProtosCorpus.Load())
        {
            number++;
            if (@case.Request.Length > MaxUdpPayload)
            {
                tooLarge++;
            }
            else
            {
                attacker.SendTo(@case.Request, new IPEndPoint(IPAddress.Loopback, daemon.Sip.Port));
                if (@case.Teardown.Length <= MaxUdpPayload) attacker.SendTo(@case.Teardown, new IPEndPoint(IPAddress.Loopback, daemon.Sip.Port));
                sent++;
                // Small pacing so a burst of 64 KB cases does not overflow the socket buffer between controls.
                if (sent % 20 == 0 || @case.Request.Length > 16_384) await Task.Delay(1);
            }
            if (number % PacketsPerControl == 0)
            {
                await ControlExchange(phone, daemon, $"after case #{@case.Number} ({@case.Group})");
                controls++;
            }
        }
        await ControlExchange(phone, daemon, "after the last case");
        controls++;
        var elapsed = watch.Elapsed;

        Assert.Equal(ProtosCorpus.CaseCount, number);
        Assert.False(daemon.Process.HasExited, $"the daemon died\n{daemon.Process.Describe()}");
        var rss = daemon.Process.ResidentBytes();
        var drops = KernelDrops(daemon.Sip.Port);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"PROTOS over UDP: {sent} cases sent, {tooLarge} skipped (> {MaxUdpPayload} bytes, not one UDP datagram), {controls} control exchanges answered, " +
            $"{(responses is null ? "port 5062 busy, responses not counted" : $"{responses.Count} responses seen on 127.0.0.1:{ProtosViaPort}")}, " +
            $"{elapsed.TotalSeconds:0.0} s; kernel drops on the daemon's socket: {drops?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}; RSS {rssBefore / 1048576} MB before, {rss / 1048576} MB after"));
        Assert.Equal(ProtosCorpus.CaseCount, sent + tooLarge);
        Assert.True(rss < RssBound, $"daemon RSS {rss / 1048576} MB exceeds {RssBound / 1048576} MB");
    }

    /// <summary>The "drops" column of /proc/net/udp for the socket bound to 127.0.0.1:PORT (datagrams the kernel discarded: buffer full).</summary>
    private static long? KernelDrops(int port)
    {
        var local = $"0100007F:{port:X4}";
        foreach (var line in File.ReadLines("/proc/net/udp").Skip(1))
        {
            var cells = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (cells.Length > 12 && cells[1] == local) return long.Parse(cells[^1], CultureInfo.InvariantCulture);
        }
        return null;
    }

    /// <summary>A valid SUBSCRIBE still gets its 200 and NOTIFY (answered, so the dialog ends).</summary>
    private async Task ControlExchange(PhoneSocket phone, LoopbackDaemon daemon, string when)
    {
        var callId = $"e2e-control-{Guid.NewGuid():N}";
        var mac = TestMessages.NewMac();
        phone.Send(TestMessages.Subscribe(phone.LocalEndPoint, mac, callId), daemon.Sip);
        // Generous: the control queues behind up to a hundred hostile datagrams on a busy machine.
        var timeout = TimeSpan.FromSeconds(10);
        Arrival? ok = null, notify = null;
        var deadline = phone.Now + timeout;
        while ((ok is null || notify is null) && phone.Now < deadline)
        {
            var next = await phone.ReceiveAsync(deadline - phone.Now);
            if (next is null) break;
            if (next.Message.CallId != callId) continue; // a late NOTIFY copy of an earlier control
            if (next.Message.StatusCode == 200) ok = next;
            else if (next.Message.Method == "NOTIFY") notify = next;
        }
        Assert.True(ok is not null, $"control SUBSCRIBE {when}: no 200 within {timeout}\n{daemon.Process.Describe()}");
        Assert.True(notify is not null, $"control SUBSCRIBE {when}: no NOTIFY within {timeout}\n{daemon.Process.Describe()}");
        Assert.Equal(daemon.SettingsUrl(mac), notify!.Message.Body.TrimEnd('\r', '\n'));
        phone.Answer(notify);
    }

    /// <summary>Counts datagrams arriving on 127.0.0.1:PORT in the background (the daemon's answers to PROTOS' Via).</summary>
    private sealed class ResponseCounter : IDisposable
    {
        private readonly Socket _socket;
        private readonly Task _loop;
        private int _count;

        private ResponseCounter(Socket socket)
        {
            _socket = socket;
            _loop = Task.Run(async () =>
            {
                var buffer = new byte[65_536];
                try
                {
                    while (true)
                    {
                        await _socket.ReceiveAsync(buffer, SocketFlags.None);
                        Interlocked.Increment(ref _count);
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Closed.
                }
            });
        }

        public int Count => Volatile.Read(ref _count);

        /// <summary>Listens on the port if it is free; null when something else has it (then nothing is counted).</summary>
        public static ResponseCounter? TryListen(int port)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                socket.ReceiveBufferSize = 4 << 20;
                return new ResponseCounter(socket);
            }
            catch (SocketException)
            {
                socket.Dispose();
                return null;
            }
        }

        public void Dispose()
        {
            _socket.Dispose();
            _loop.Wait(TimeSpan.FromSeconds(2));
        }
    }
}
