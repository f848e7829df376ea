using SnomActors.Cli.Monitor;
using SnomActors.Cli.Tests.Support;

namespace SnomActors.Cli.Tests;

/// <summary>The monitor frame as a pure function of snapshots.</summary>
public sealed class MonitorRendererSpecs
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static PnpCounters Counters(long acknowledged, long accepted = 0, double? uptime = 3600,
        Dictionary<int, long>? responses = null, Dictionary<string, long>? outcomes = null, Dictionary<string, long>? shed = null,
        HistogramReading? ok = null)
    {
        var notify = outcomes ?? new Dictionary<string, long>();
        notify["acknowledged"] = acknowledged;
        return new PnpCounters(uptime, 4, 100, 90, 1, responses ?? new Dictionary<int, long> { [200] = 100 }, notify, 12,
            shed ?? new Dictionary<string, long>(), accepted, 0, 0, ok, null);
    }

    private static MonitorSnapshot Snapshot(DateTimeOffset at, PnpCounters? pnp, StatsSnapshot? stats = null,
        IReadOnlyList<DeviceRow>? recent = null, IReadOnlyList<DeviceRow>? failures = null, IReadOnlyList<string>? warnings = null) =>
        new("http://127.0.0.1:8080", at, new HealthInfo(true, "ready (SIP 0.0.0.0:5060)"), stats, pnp, recent ?? [], failures ?? [], warnings ?? []);

    private static string Line(string frame, string label) =>
        frame.Split('\n').SingleOrDefault(l => l.StartsWith(label, StringComparison.Ordinal)) ?? throw new Xunit.Sdk.XunitException($"no '{label}' line in:\n{frame}");

    [Fact]
    public void The_exchange_rate_is_the_difference_between_two_frames_over_the_time_between_them()
    {
        var before = Snapshot(T0, Counters(acknowledged: 1000, accepted: 1100));
        var now = Snapshot(T0.AddSeconds(2), Counters(acknowledged: 1250, accepted: 1400));

        var frame = MonitorRenderer.Render(now, before);

        var exchanges = Line(frame, "Exchanges");
        Assert.Contains("125/s now", exchanges);           // (1250 - 1000) / 2 s
        Assert.Contains("150 SUBSCRIBE/s", exchanges);     // (1400 - 1100) / 2 s
        Assert.Contains("1250 completed", exchanges);
    }

    [Fact]
    public void The_first_frame_shows_the_average_since_start_because_there_is_no_previous_sample()
    {
        var frame = MonitorRenderer.Render(Snapshot(T0, Counters(acknowledged: 900, uptime: 3600)), null);
        Assert.Contains("0.3/s average since start", Line(frame, "Exchanges")); // 900 / 3600 s = 0.25
        Assert.Contains("01:00:00", Line(frame, "Uptime"));
    }

    [Fact]
    public void Responses_and_NOTIFY_answers_are_summed_by_response_class_with_timeouts_apart()
    {
        var pnp = Counters(acknowledged: 50,
            responses: new() { [200] = 60, [202] = 1, [489] = 4, [400] = 2, [503] = 9 },
            outcomes: new() { ["rejected-486"] = 3, ["rejected-603"] = 1, ["timeout"] = 6 });

        var frame = MonitorRenderer.Render(Snapshot(T0, pnp), null);

        var responses = Line(frame, "Responses sent");
        Assert.Contains("1xx 0", responses);
        Assert.Contains("2xx 61", responses);
        Assert.Contains("4xx 6", responses);
        Assert.Contains("5xx 9", responses);
        var notify = Line(frame, "NOTIFY answered");
        Assert.Contains("2xx 50", notify);
        Assert.Contains("4xx 3", notify);
        Assert.Contains("6xx 1", notify);
        Assert.Contains("timeout 6", notify);
        Assert.Contains("retransmitted 12", notify);
    }

    [Fact]
    public void Latency_quantiles_are_estimated_from_the_histogram_buckets()
    {
        // 10 observations: 5 in (0, 1 ms], 5 in (1 ms, 2 ms] -> p50 at 1 ms, p95 at 1.9 ms.
        var histogram = new HistogramReading([(0.001, 5), (0.002, 10), (double.PositiveInfinity, 10)], 0.015, 10);
        Assert.Equal(0.001, histogram.Quantile(0.5)!.Value, 9);
        Assert.Equal(0.0019, histogram.Quantile(0.95)!.Value, 9);
        Assert.Null(new HistogramReading([(1, 0), (double.PositiveInfinity, 0)], 0, 0).Quantile(0.5));

        var frame = MonitorRenderer.Render(Snapshot(T0, Counters(1, ok: histogram)), null);
        Assert.Contains("SUBSCRIBE->200 1.0 ms / 1.9 ms", Line(frame, "Latency"));
        Assert.Contains("SUBSCRIBE->NOTIFY ack - / -", Line(frame, "Latency"));
    }

    [Fact]
    public void Device_fields_from_the_network_cannot_inject_terminal_control_sequences()
    {
        var hostile = new DeviceRow("000413000001", "snom", "D785\u001b[2J\u001b]0;pwned\u0007", "10.0.0.1", T0, "failed",
            new DeviceSteps(T0, "bad\nline", null));
        var frame = MonitorRenderer.Render(Snapshot(T0, null, recent: [hostile], failures: [hostile]), null);
        Assert.DoesNotContain('\u001b', frame);
        Assert.DoesNotContain('\u0007', frame);
        Assert.Contains("bad?line", frame);
    }

    [Fact]
    public void No_line_is_wider_than_the_terminal()
    {
        var frame = MonitorRenderer.Render(Snapshot(T0, Counters(5, shed: new() { ["dialog-cap"] = 3, ["rate-limit-per-source"] = 99 }),
            warnings: [new string('w', 300)]), null, width: 64);
        Assert.All(frame.TrimEnd('\n').Split('\n'), l => Assert.True(l.Length <= 64, $"{l.Length}: {l}"));
        Assert.Contains("dialog-cap 3", frame);
    }

    [Fact]
    public void Without_metrics_the_frame_still_shows_the_API_numbers_and_says_what_is_missing()
    {
        var stats = new StatsSnapshot(12, new StateCounts(1, 2, 3, 4, 5, 6), 7, null, new BootInfo(null, 0, 0));
        var frame = MonitorRenderer.Render(Snapshot(T0, null, stats, warnings: ["/metrics: Not found (404)"]), null);
        Assert.Contains("live 7", Line(frame, "Dialogs"));
        Assert.Contains("n/a (no /metrics)", Line(frame, "Exchanges"));
        Assert.Contains("12 known", Line(frame, "Devices"));
        Assert.Contains("failed 6", Line(frame, "Devices"));
        Assert.Contains("! /metrics: Not found (404)", frame);
        Assert.Contains("(none)", frame);
    }

    [Fact]
    public void The_monitor_reads_back_exactly_what_the_exporter_writes()
    {
        // Contract between PrometheusExporter's names and the monitor's reader.
        var counters = PnpCounters.FromSamples(MetricsText.Parse(CannedDaemon.MetricsText()));
        Assert.Equal(CannedDaemon.UptimeSeconds, counters.UptimeSeconds!.Value, 3);
        Assert.Equal(CannedDaemon.LiveDialogs, counters.LiveDialogs);
        Assert.Equal(CannedDaemon.Acknowledged, counters.ExchangesCompleted);
        Assert.Equal(CannedDaemon.Sent200, counters.ResponsesSent[200]);
        Assert.Equal(CannedDaemon.Sent503, counters.ResponsesSent[503]);
        Assert.Equal(CannedDaemon.NotifyTimeouts, counters.NotifyOutcomes["timeout"]);
        Assert.Equal(CannedDaemon.Retransmissions, counters.NotifyRetransmissions);
        Assert.Equal(CannedDaemon.ShedDialogCap, counters.Shed["dialog-cap"]);
        Assert.Equal(100, counters.SubscribeToOk!.Count);
        Assert.InRange(counters.SubscribeToNotifyAck!.Quantile(0.5)!.Value, 0.025, 0.05);
    }
}
