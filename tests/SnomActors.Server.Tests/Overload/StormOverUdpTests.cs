using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using SnomActors.Server.Actors;
using SnomActors.Server.Config;
using SnomActors.Server.Metrics;
using SnomActors.Server.Overload;
using SnomActors.Server.Tests.Metrics;
using SnomActors.Sip.Building;
using SnomActors.Sip.Messages;
using SnomActors.Transport;
using SnomActors.Transport.Udp;
using Xunit.Abstractions;

namespace SnomActors.Server.Tests.Overload;

/// <summary>
/// Issue 5 "Resilience": a storm beyond the configured limits is shed with counted 503s, and the
/// daemon returns to normal latency after it. The router runs with its real UDP transport on
/// 127.0.0.1 (ephemeral port); the phones are plain UDP sockets of the test. Small limits: a global
/// bucket of 200/s (burst 100) and a cap of <see cref="MaxLiveDialogs"/> live dialogs, which the storm
/// fills deterministically because its phones hold back their answers to our NOTIFYs until it is over.
/// </summary>
[Collection(WallClockCollection.Name)]
public sealed class StormOverUdpTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int StormSize = 5_000;
    private const int StormSockets = 20;
    private const int MaxLiveDialogs = 50;
    private const int RetryAfterSeconds = 3;
    private const int Sequential = 30;
    private static readonly RateLimitOptions Limits = new(PerSourcePerSecond: 0, GlobalPerSecond: 200, GlobalBurst: 100);
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);

    private readonly PnpMetrics _metrics = new();
    private readonly UdpTransportCounters _counters = new();
    private ActorSystem _daemon = null!;
    private IActorRef _router = ActorRefs.Nobody;
    private IPEndPoint _server = null!;
    private int _macs;

    public async Task InitializeAsync()
    {
        _daemon = ActorSystem.Create("daemon", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var udp = new UdpTransportOptions { BindAddress = IPAddress.Loopback, Port = 0, EnableMulticast = false };
        var options = new PnpOptions
        {
            ServerHost = "127.0.0.1",
            MaxLiveDialogs = MaxLiveDialogs,
            RetryAfterSeconds = RetryAfterSeconds,
            RateLimits = Limits,
            // Timer K (T4): the router remembers an acknowledged NOTIFY transaction for response
            // retransmissions (it does not count against the cap); shortened so few linger. T1 stays:
            // Timer F (64·T1) must outlast the storm.
            Timers = SipTimers.Default with { T4 = TimeSpan.FromMilliseconds(500) },
        };
        _router = _daemon.ActorOf(DialogRouter.Props(options, new UdpTransportFactory(udp, _counters), _metrics), "router");
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                _server = (await _router.Ask<SipTransport.Bound>(DialogRouter.GetBinding.Instance, TimeSpan.FromSeconds(5))).LocalEndpoints[0];
                return;
            }
            catch (InvalidOperationException) when (deadline.Elapsed < Bounded)
            {
                // "transport not bound yet": the bind runs asynchronously.
                await Task.Delay(50);
            }
        }
    }

    public async Task DisposeAsync() => await _daemon.Terminate();

    [Fact]
    public async Task A_storm_beyond_the_limits_is_shed_with_counted_503s_and_latency_returns_to_baseline_after_it()
    {
        using var probe = StormPhone.Bind();
        await SequentialSubscribesAsync(probe, "warmup", 10);
        var baseline = await SequentialSubscribesAsync(probe, "baseline", Sequential);
        Assert.Empty(_metrics.Shed);
        await WaitForNoLiveDialogsAsync(() => { });
        var startedBefore = _metrics.DialogsStarted;
        await Task.Delay(TimeSpan.FromSeconds(Limits.GlobalBurst / Limits.GlobalPerSecond) + TimeSpan.FromMilliseconds(200)); // bucket full again

        // The storm: distinct Call-IDs and MACs from 20 sockets, as fast as the test can send.
        var phones = Enumerable.Range(0, StormSockets).Select(_ => StormPhone.Bind()).ToArray();
        var tally = new StormTally(StormSize);
        using var stop = new CancellationTokenSource();
        var loops = phones.Select(p => Task.Run(() => ReceiveLoopAsync(p, tally, stop.Token))).ToArray();
        try
        {
            var datagrams = new byte[StormSize][];
            for (var i = 0; i < StormSize; i++) datagrams[i] = phones[i % StormSockets].Subscribe(NextMac(), $"storm-{i}@127.0.0.1", _server);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < StormSize; i++)
            {
                tally.SentAt[i] = Stopwatch.GetTimestamp();
                phones[i % StormSockets].Send(datagrams[i], _server);
            }
            var sendTime = clock.Elapsed;
            await tally.WaitForQuietAsync(TimeSpan.FromMilliseconds(500), Bounded);
            var stormTime = clock.Elapsed;

            var shed = _metrics.Shed.ToDictionary(p => p.Key, p => p.Value);
            var shedTotal = shed.Values.Sum();
            var clientDrops = phones.Sum(p => KernelUdpDrops(p.Local) ?? 0);
            var daemonDrops = KernelUdpDrops(_server);
            var stormLatencies = tally.Latencies();
            output.WriteLine($"storm: {StormSize} SUBSCRIBEs sent in {sendTime.TotalMilliseconds:0} ms, quiet after {stormTime.TotalMilliseconds:0} ms; " +
                $"received {tally.Ok} × 200, {tally.Unavailable} × 503, {tally.Other} other, {tally.Notifies} NOTIFYs (held)");
            output.WriteLine($"storm: shed {shedTotal} ({string.Join(", ", shed.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}); " +
                $"kernel drops: test sockets {clientDrops}, daemon socket {daemonDrops?.ToString(CultureInfo.InvariantCulture) ?? "n/a"}; daemon send errors {_counters.SendErrors}");
            output.WriteLine($"storm: final response latency {Describe(stormLatencies)}");

            Assert.True(tally.Unavailable > 0, "no 503 came back from a storm 25 times the burst");
            Assert.Equal(0, tally.Other);
            Assert.Equal(0, tally.WithoutRetryAfter);
            Assert.Contains("rate-global", shed.Keys);
            Assert.Contains("dialog-cap", shed.Keys);
            // Every shed request was answered with a 503 (unicast) and the exposition says the same.
            Assert.Equal(shedTotal, _metrics.ResponsesSent[503]);
            Assert.Equal(shedTotal, ScrapedShed());
            if (clientDrops == 0 && _counters.SendErrors == 0)
                Assert.Equal(shedTotal, tally.Unavailable);
            else
                Assert.InRange(shedTotal, tally.Unavailable, tally.Unavailable + clientDrops + _counters.SendErrors);
            // The phones answer no NOTIFY during the storm, so exactly the cap's worth of dialogs started.
            Assert.Equal(MaxLiveDialogs, _metrics.DialogsStarted - startedBefore);
            Assert.InRange(tally.Ok, MaxLiveDialogs - clientDrops, MaxLiveDialogs);

            // The phones now answer every NOTIFY (held and retransmitted): the dialogs end, the cap frees.
            tally.StartAnswering();
            await WaitForNoLiveDialogsAsync(tally.AnswerHeld);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(loops);
            foreach (var phone in phones) phone.Dispose();
        }

        // Nothing crashed: no dialog failed, the socket never faulted or rebound, the router still answers.
        Assert.Equal(0, _metrics.DialogsCrashed);
        Assert.Equal(0, _metrics.Received(ReceivedDatagram.Malformed));
        Assert.Equal(0, _counters.SocketFaults);
        Assert.Equal(0, _counters.Rebinds);

        await Task.Delay(TimeSpan.FromSeconds(Limits.GlobalBurst / Limits.GlobalPerSecond) + TimeSpan.FromMilliseconds(200));
        var shedAfterStorm = _metrics.Shed.Values.Sum();
        var after = await SequentialSubscribesAsync(probe, "after", Sequential);
        Assert.Equal(shedAfterStorm, _metrics.Shed.Values.Sum());

        var bound = Math.Max(5 * Percentile(baseline, 0.5), 20);
        output.WriteLine($"baseline: SUBSCRIBE→200 {Describe(baseline)}");
        output.WriteLine($"after:    SUBSCRIBE→200 {Describe(after)} (p50 bound {bound:0.##} ms)");
        Assert.True(Percentile(after, 0.5) < bound,
            $"p50 after the storm {Percentile(after, 0.5):0.##} ms, baseline p50 {Percentile(baseline, 0.5):0.##} ms");
    }

    /// <summary>
    /// <paramref name="count"/> SUBSCRIBEs one after another from <paramref name="phone"/>, each answered
    /// 200 and its NOTIFY acknowledged before the next; returns the SUBSCRIBE→200 times in milliseconds.
    /// </summary>
    private async Task<List<double>> SequentialSubscribesAsync(StormPhone phone, string phase, int count)
    {
        var latencies = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var callId = $"{phase}-{i}@127.0.0.1";
            var datagram = phone.Subscribe(NextMac(), callId, _server);
            var sent = Stopwatch.GetTimestamp();
            phone.Send(datagram, _server);
            double? latency = null;
            var notified = false;
            while (latency is null || !notified)
            {
                var (message, from) = await phone.ReceiveAsync(TimeSpan.FromSeconds(5))
                    ?? throw new Xunit.Sdk.XunitException($"{phase} SUBSCRIBE {i}: no {(latency is null ? "200" : "NOTIFY")} within 5 s");
                switch (message)
                {
                    case SipResponse response when response.CallId == callId:
                        Assert.True(response.StatusCode == 200, $"{phase} SUBSCRIBE {i} got {response.StatusCode}");
                        latency = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                        break;
                    case SipRequest { Method: SipMethods.Notify } notify:
                        phone.Answer(notify, from);
                        notified |= notify.CallId == callId;
                        break;
                }
            }
            latencies.Add(latency.Value);
        }
        return latencies;
    }

    private async Task WaitForNoLiveDialogsAsync(Action eachRound)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            eachRound();
            var live = await _router.Ask<DialogRouter.LiveDialogs>(DialogRouter.GetLiveDialogs.Instance, TimeSpan.FromSeconds(5));
            if (live.Dialogs == 0) return;
            if (deadline.Elapsed > Bounded) throw new Xunit.Sdk.XunitException($"{live.Dialogs} dialogs still live {Bounded.TotalSeconds} s after the storm");
            await Task.Delay(50);
        }
    }

    private static async Task ReceiveLoopAsync(StormPhone phone, StormTally tally, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            (SipMessage Message, IPEndPoint From)? next;
            try
            {
                next = await phone.ReceiveAsync(Timeout.InfiniteTimeSpan, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (next is { } arrival) tally.Record(phone, arrival.Message, arrival.From);
        }
    }

    private double ScrapedShed()
    {
        var families = ExpositionParser.Parse(PrometheusExporter.ToText(_metrics, _counters, DateTimeOffset.UtcNow));
        return families["snomactors_shed_requests_total"].Samples.Sum(s => s.Value);
    }

    private string NextMac() => $"000413{Interlocked.Increment(ref _macs):x6}";

    /// <summary>
    /// The kernel's drop count of the UDP socket bound to <paramref name="local"/> (last column of
    /// /proc/net/udp: datagrams that found its receive buffer full); null where that file does not exist.
    /// </summary>
    private static long? KernelUdpDrops(IPEndPoint local)
    {
        const string table = "/proc/net/udp";
        if (!File.Exists(table)) return null;
        var address = BitConverter.ToUInt32(local.Address.GetAddressBytes()).ToString("X8", CultureInfo.InvariantCulture);
        var key = $"{address}:{local.Port:X4}";
        foreach (var line in File.ReadLines(table).Skip(1))
        {
            var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length > 12 && columns[1] == key) return long.Parse(columns[^1], CultureInfo.InvariantCulture);
        }
        return null;
    }

    private static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    private static string Describe(IReadOnlyList<double> ms) =>
        ms.Count == 0 ? "(none)" : $"n={ms.Count} p50 {Percentile(ms, 0.5):0.00} ms, p90 {Percentile(ms, 0.9):0.00} ms, max {ms.Max():0.00} ms";

    /// <summary>What the storm's phones received, counted by their receive loops.</summary>
    private sealed class StormTally(int size)
    {
        private readonly ConcurrentQueue<(StormPhone Phone, SipRequest Notify, IPEndPoint From)> _held = new();
        private readonly long[] _answeredAt = new long[size];
        private long _ok, _unavailable, _withoutRetryAfter, _other, _notifies, _lastArrival = Stopwatch.GetTimestamp();
        private volatile bool _answering;

        public long[] SentAt { get; } = new long[size];
        public long Ok => Interlocked.Read(ref _ok);
        public long Unavailable => Interlocked.Read(ref _unavailable);
        public long WithoutRetryAfter => Interlocked.Read(ref _withoutRetryAfter);
        public long Other => Interlocked.Read(ref _other);
        public long Notifies => Interlocked.Read(ref _notifies);

        public void Record(StormPhone phone, SipMessage message, IPEndPoint from)
        {
            Interlocked.Exchange(ref _lastArrival, Stopwatch.GetTimestamp());
            switch (message)
            {
                case SipRequest { Method: SipMethods.Notify } notify:
                    Interlocked.Increment(ref _notifies);
                    if (_answering) phone.Answer(notify, from);
                    else _held.Enqueue((phone, notify, from));
                    return;
                case SipResponse { StatusCode: 200 } ok:
                    Interlocked.Increment(ref _ok);
                    Answered(ok.CallId);
                    return;
                case SipResponse { StatusCode: 503 } unavailable:
                    Interlocked.Increment(ref _unavailable);
                    if (unavailable.GetFirst(HeaderNames.RetryAfter) != RetryAfterSeconds.ToString(CultureInfo.InvariantCulture))
                        Interlocked.Increment(ref _withoutRetryAfter);
                    Answered(unavailable.CallId);
                    return;
                default:
                    Interlocked.Increment(ref _other);
                    return;
            }
        }

        public void StartAnswering()
        {
            _answering = true;
            AnswerHeld();
        }

        /// <summary>Answers the NOTIFYs held back (again each round: a receive loop may have queued one while answering began).</summary>
        public void AnswerHeld()
        {
            while (_held.TryDequeue(out var held)) held.Phone.Answer(held.Notify, held.From);
        }

        /// <summary>Waits until nothing has arrived for <paramref name="quiet"/>, at most <paramref name="limit"/>.</summary>
        public async Task WaitForQuietAsync(TimeSpan quiet, TimeSpan limit)
        {
            var deadline = Stopwatch.StartNew();
            while (Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastArrival)) < quiet && deadline.Elapsed < limit)
                await Task.Delay(50);
        }

        /// <summary>Send → final response, in milliseconds, of every storm SUBSCRIBE that got one.</summary>
        public List<double> Latencies()
        {
            var result = new List<double>();
            for (var i = 0; i < SentAt.Length; i++)
            {
                var at = Volatile.Read(ref _answeredAt[i]);
                if (at != 0) result.Add(Stopwatch.GetElapsedTime(SentAt[i], at).TotalMilliseconds);
            }
            return result;
        }

        private void Answered(string callId)
        {
            // "storm-{i}@127.0.0.1"
            var at = Stopwatch.GetTimestamp();
            var dash = callId.IndexOf('-');
            var end = callId.IndexOf('@');
            if (dash < 0 || end < dash || !int.TryParse(callId.AsSpan(dash + 1, end - dash - 1), CultureInfo.InvariantCulture, out var i)) return;
            if ((uint)i < (uint)_answeredAt.Length) Interlocked.CompareExchange(ref _answeredAt[i], at, 0);
        }
    }
}

/// <summary>Tests that measure wall-clock latency over real sockets run alone, after the parallel specs.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WallClockCollection
{
    public const string Name = "wall-clock over real UDP";
}
