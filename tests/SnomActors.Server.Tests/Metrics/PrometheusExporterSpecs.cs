using System.Globalization;
using System.Net;
using System.Net.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SnomActors.Server.Metrics;
using SnomActors.Transport.Udp;
using SnomActors.Tests.Shared;

namespace SnomActors.Server.Tests.Metrics;

/// <summary>The <c>/metrics</c> exposition: its format, its names, and that its numbers are the counters'.</summary>
public sealed class PrometheusExporterSpecs
{
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static IReadOnlyDictionary<string, ParsedFamily> Scrape(PnpMetrics pnp, UdpTransportCounters? udp = null, params IMetricsSource[] sources) =>
        ExpositionParser.Parse(PrometheusExporter.ToText(pnp, udp, Now, sources));

    private static double Value(IReadOnlyDictionary<string, ParsedFamily> families, string name, params (string Name, string Value)[] labels)
    {
        Assert.True(families.ContainsKey(name) || families.Keys.Any(name.StartsWith), $"no family for {name}");
        var family = families.TryGetValue(name, out var exact) ? exact : families.Values.Where(f => name.StartsWith(f.Name + "_", StringComparison.Ordinal)).OrderByDescending(f => f.Name.Length).First();
        var sample = family.Samples.SingleOrDefault(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value)
                                                         && s.Labels.Count == labels.Length);
        Assert.True(sample is not null, $"no sample {name}{{{string.Join(",", labels.Select(l => $"{l.Name}={l.Value}"))}}}");
        return sample!.Value;
    }

    [Fact]
    public void A_fresh_daemon_exposes_every_PnP_and_UDP_family_with_the_prefix_a_unit_and_the_right_type()
    {
        var families = Scrape(new PnpMetrics(), new UdpTransportCounters());

        var expected = new Dictionary<string, string>
        {
            ["snomactors_build_info"] = "gauge",
            ["snomactors_start_time_seconds"] = "gauge",
            ["snomactors_uptime_seconds"] = "gauge",
            ["snomactors_sip_datagrams_received_total"] = "counter",
            ["snomactors_sip_datagrams_sent_total"] = "counter",
            ["snomactors_sip_responses_sent_total"] = "counter",
            ["snomactors_subscribes_total"] = "counter",
            ["snomactors_subscribe_retransmissions_total"] = "counter",
            ["snomactors_notify_retransmissions_total"] = "counter",
            ["snomactors_notify_timeouts_total"] = "counter",
            ["snomactors_notify_outcomes_total"] = "counter",
            ["snomactors_dialogs_live"] = "gauge",
            ["snomactors_dialogs_started_total"] = "counter",
            ["snomactors_dialogs_ended_total"] = "counter",
            ["snomactors_shed_requests_total"] = "counter",
            ["snomactors_subscribe_to_ok_seconds"] = "histogram",
            ["snomactors_subscribe_to_notify_ack_seconds"] = "histogram",
            ["snomactors_udp_datagrams_received_total"] = "counter",
            ["snomactors_udp_datagrams_sent_total"] = "counter",
            ["snomactors_udp_send_errors_total"] = "counter",
            ["snomactors_udp_socket_faults_total"] = "counter",
        };
        foreach (var (name, type) in expected)
        {
            Assert.True(families.TryGetValue(name, out var family), $"{name} missing");
            Assert.Equal(type, family!.Type);
            Assert.False(string.IsNullOrWhiteSpace(family.Help), $"{name} has no help text");
        }
        Assert.All(families.Keys, name => Assert.StartsWith("snomactors_", name));
        Assert.All(families.Values.Where(f => f.Type == "counter"), f => Assert.EndsWith("_total", f.Name));
        // Series that dashboards rate() exist at 0 before the first event.
        Assert.Equal(0, Value(families, "snomactors_shed_requests_total", ("reason", "dialog-cap")));
        Assert.Equal(0, Value(families, "snomactors_notify_outcomes_total", ("outcome", "timeout")));
        Assert.Equal(0, Value(families, "snomactors_subscribe_to_ok_seconds_count"));
        Assert.Equal(0, Value(families, "snomactors_udp_datagrams_received_total", ("destination", "multicast")));
        Assert.Equal(["subscribe", "notify", "options", "other-request", "response", "malformed"],
            families["snomactors_sip_datagrams_received_total"].Samples.Select(s => s.Label("kind")));
        Assert.Equal(["response", "notify", "check-sync-notify"],
            families["snomactors_sip_datagrams_sent_total"].Samples.Select(s => s.Label("kind")));
        Assert.All(families["snomactors_sip_datagrams_sent_total"].Samples, s => Assert.Equal(0, s.Value));
    }

    [Fact]
    public void Every_number_in_the_exposition_moves_with_its_counter()
    {
        var pnp = new PnpMetrics();
        var before = Scrape(pnp);
        Assert.Equal(0, Value(before, "snomactors_sip_datagrams_received_total", ("kind", "subscribe")));

        for (var i = 0; i < 7; i++) pnp.DatagramReceived(ReceivedDatagram.Subscribe);
        pnp.DatagramReceived(ReceivedDatagram.Notify);
        for (var i = 0; i < 3; i++) pnp.DatagramReceived(ReceivedDatagram.Options);
        for (var i = 0; i < 4; i++) pnp.DatagramReceived(ReceivedDatagram.OtherRequest);
        pnp.DatagramReceived(ReceivedDatagram.Response);
        pnp.DatagramReceived(ReceivedDatagram.Response);
        pnp.DatagramReceived(ReceivedDatagram.Malformed);
        for (var i = 0; i < 5; i++) pnp.DatagramSent(SentDatagram.Response);
        for (var i = 0; i < 6; i++) pnp.DatagramSent(SentDatagram.Notify);
        for (var i = 0; i < 8; i++) pnp.DatagramSent(SentDatagram.CheckSyncNotify);
        pnp.ResponseSent(200);
        pnp.ResponseSent(200);
        pnp.ResponseSent(503);
        pnp.SubscribeOutcome("snom", "accepted");
        pnp.SubscribeOutcome("snom", "accepted");
        pnp.SubscribeOutcome("yealink", "shed");
        pnp.ShedRequest("dialog-cap");
        pnp.ShedRequest("rate-limit");
        pnp.NotifyRetransmitted();
        pnp.NotifyRetransmitted();
        pnp.NotifyRetransmitted();
        pnp.SubscribeRetransmitted();
        pnp.NotifyTimedOut();
        pnp.NotifyOutcome("timeout");
        pnp.NotifyOutcome("acknowledged");
        pnp.NotifyOutcome("rejected-481");
        pnp.DialogStarted();
        pnp.DialogStarted();
        pnp.DialogStarted();
        pnp.DialogEnded(crashed: false);
        pnp.DialogEnded(crashed: true);

        var after = Scrape(pnp);
        Assert.Equal(7, Value(after, "snomactors_sip_datagrams_received_total", ("kind", "subscribe")));
        Assert.Equal(1, Value(after, "snomactors_sip_datagrams_received_total", ("kind", "notify")));
        Assert.Equal(3, Value(after, "snomactors_sip_datagrams_received_total", ("kind", "options")));
        Assert.Equal(4, Value(after, "snomactors_sip_datagrams_received_total", ("kind", "other-request")));
        Assert.Equal(2, Value(after, "snomactors_sip_datagrams_received_total", ("kind", "response")));
        Assert.Equal(1, Value(after, "snomactors_sip_datagrams_received_total", ("kind", "malformed")));
        Assert.Equal(5, Value(after, "snomactors_sip_datagrams_sent_total", ("kind", "response")));
        Assert.Equal(6, Value(after, "snomactors_sip_datagrams_sent_total", ("kind", "notify")));
        Assert.Equal(8, Value(after, "snomactors_sip_datagrams_sent_total", ("kind", "check-sync-notify")));
        Assert.Equal(2, Value(after, "snomactors_sip_responses_sent_total", ("code", "200")));
        Assert.Equal(1, Value(after, "snomactors_sip_responses_sent_total", ("code", "503")));
        Assert.Equal(2, Value(after, "snomactors_subscribes_total", ("vendor", "snom"), ("outcome", "accepted")));
        Assert.Equal(1, Value(after, "snomactors_subscribes_total", ("vendor", "yealink"), ("outcome", "shed")));
        Assert.Equal(1, Value(after, "snomactors_shed_requests_total", ("reason", "dialog-cap")));
        Assert.Equal(1, Value(after, "snomactors_shed_requests_total", ("reason", "rate-limit")));
        Assert.Equal(3, Value(after, "snomactors_notify_retransmissions_total"));
        Assert.Equal(1, Value(after, "snomactors_subscribe_retransmissions_total"));
        Assert.Equal(1, Value(after, "snomactors_notify_timeouts_total"));
        Assert.Equal(1, Value(after, "snomactors_notify_outcomes_total", ("outcome", "rejected-481")));
        Assert.Equal(1, Value(after, "snomactors_notify_outcomes_total", ("outcome", "acknowledged")));
        Assert.Equal(1, Value(after, "snomactors_dialogs_live"));
        Assert.Equal(3, Value(after, "snomactors_dialogs_started_total"));
        Assert.Equal(1, Value(after, "snomactors_dialogs_ended_total", ("result", "completed")));
        Assert.Equal(1, Value(after, "snomactors_dialogs_ended_total", ("result", "crashed")));
    }

    [Fact]
    public void Latency_histograms_are_cumulative_end_in_plus_Inf_and_count_every_observation()
    {
        var pnp = new PnpMetrics();
        pnp.SubscribeToOk.Observe(TimeSpan.FromMilliseconds(0.3));
        pnp.SubscribeToOk.Observe(TimeSpan.FromMilliseconds(3));
        pnp.SubscribeToOk.Observe(TimeSpan.FromMilliseconds(4));
        pnp.SubscribeToOk.Observe(TimeSpan.FromSeconds(40)); // beyond the last bound (32 s, Timer F)
        pnp.SubscribeToNotifyAck.Observe(TimeSpan.FromMilliseconds(20));

        var families = Scrape(pnp);
        const string ok = "snomactors_subscribe_to_ok_seconds";
        Assert.Equal(1, Value(families, ok + "_bucket", ("le", "0.0005")));
        Assert.Equal(1, Value(families, ok + "_bucket", ("le", "0.002")));
        Assert.Equal(3, Value(families, ok + "_bucket", ("le", "0.005")));
        Assert.Equal(3, Value(families, ok + "_bucket", ("le", "32")));
        Assert.Equal(4, Value(families, ok + "_bucket", ("le", "+Inf")));
        Assert.Equal(4, Value(families, ok + "_count"));
        Assert.Equal(40.0073, Value(families, ok + "_sum"), 6);
        Assert.Equal(LatencyHistogram.BucketBounds.Length + 1, families[ok].Samples.Count(s => s.Name == ok + "_bucket"));

        const string ack = "snomactors_subscribe_to_notify_ack_seconds";
        Assert.Equal(0, Value(families, ack + "_bucket", ("le", "0.01")));
        Assert.Equal(1, Value(families, ack + "_bucket", ("le", "0.025")));
        Assert.Equal(1, Value(families, ack + "_count"));
    }

    [Fact]
    public void Uptime_is_the_time_since_the_PnP_core_started()
    {
        var pnp = new PnpMetrics();
        var text = PrometheusExporter.ToText(pnp, null, pnp.StartedAt.AddSeconds(90.5));
        var families = ExpositionParser.Parse(text);
        Assert.Equal(90.5, Value(families, "snomactors_uptime_seconds"), 3);
        Assert.Equal(pnp.StartedAt.ToUnixTimeMilliseconds() / 1000.0, Value(families, "snomactors_start_time_seconds"), 3);
        Assert.False(families.ContainsKey("snomactors_udp_datagrams_sent_total"), "no UDP families without a UDP transport");
    }

    private sealed class HostileLabels : IMetricsSource
    {
        public const string Awkward = "quote \" backslash \\ newline \n end";

        public void Write(PrometheusWriter w)
        {
            w.Family("snomactors_test_settings_downloads_total", "counter", "Help with a backslash \\ and a\nline break.");
            w.Sample(3L, ("path", Awkward), ("status", "200"));
            w.Sample(1L, ("path", "plain"), ("status", "404"));
            w.Family("snomactors_test_registry_write_seconds", "histogram", "Registry write latency.");
            w.HistogramSamples([0.001, 0.01], [2, 1, 0], 0.0125, ("store", "sqlite"));
            w.HistogramSamples([0.001, 0.01], [0, 0, 1], 0.5, ("store", "postgresql"));
        }
    }

    [Fact]
    public void Extra_sources_are_appended_and_their_label_values_and_help_round_trip_through_the_escaping()
    {
        var families = Scrape(new PnpMetrics(), null, new HostileLabels());
        var downloads = families["snomactors_test_settings_downloads_total"];
        Assert.Equal("Help with a backslash \\ and a\nline break.", downloads.Help);
        Assert.Equal(3, downloads.Samples.Single(s => s.Label("status") == "200").Value);
        Assert.Equal(HostileLabels.Awkward, downloads.Samples.Single(s => s.Label("status") == "200").Label("path"));
        Assert.Equal(1, Value(families, "snomactors_test_registry_write_seconds_bucket", ("store", "postgresql"), ("le", "+Inf")));
        Assert.Equal(3, Value(families, "snomactors_test_registry_write_seconds_count", ("store", "sqlite")));
        Assert.Equal(3, Value(families, "snomactors_test_registry_write_seconds_bucket", ("store", "sqlite"), ("le", "0.01")));
    }

    [Fact]
    public void The_writer_refuses_what_a_Prometheus_server_would_reject()
    {
        var w = new PrometheusWriter(new StringWriter());
        Assert.Throws<InvalidOperationException>(() => w.Sample(1L));
        Assert.Throws<InvalidOperationException>(() => w.Family("9starts_with_digit", "gauge", "x"));
        Assert.Throws<InvalidOperationException>(() => w.Family("has-dash", "gauge", "x"));
        Assert.Throws<InvalidOperationException>(() => w.Family("snomactors_requests", "counter", "counters end in _total"));
        Assert.Throws<InvalidOperationException>(() => w.Family("snomactors_x", "meter", "unknown type"));
        w.Family("snomactors_x", "gauge", "x");
        Assert.Throws<InvalidOperationException>(() => w.Family("snomactors_x", "gauge", "again"));
        Assert.Throws<InvalidOperationException>(() => w.Sample(1L, ("__reserved", "v")));
        Assert.Throws<InvalidOperationException>(() => w.Sample(1L, ("bad-label", "v")));
        Assert.Throws<InvalidOperationException>(() => w.HistogramSamples([1], [1, 1], 1));
        w.Family("snomactors_h", "histogram", "h");
        Assert.Throws<InvalidOperationException>(() => w.HistogramSamples([1, 2], [1, 1], 1));
        Assert.Throws<InvalidOperationException>(() => w.HistogramSamples([2, 1], [1, 1, 1], 1));
        Assert.Throws<InvalidOperationException>(() => w.Sample(1L));
    }

    [Fact]
    public void The_strict_parser_used_here_rejects_broken_expositions()
    {
        // The parser must be able to fail, or the format tests above prove nothing.
        Assert.Throws<FormatException>(() => ExpositionParser.Parse("x_total 1\n"));
        Assert.Throws<FormatException>(() => ExpositionParser.Parse("# HELP a a\n# TYPE a gauge\na 1\n# HELP b b\n# TYPE b gauge\nb 1\na{l=\"2\"} 1\n"));
        Assert.Throws<FormatException>(() => ExpositionParser.Parse("# HELP a a\n# TYPE a gauge\na{l=\"x\\t\"} 1\n"));
        Assert.Throws<FormatException>(() => ExpositionParser.Parse("# HELP a a\n# TYPE a gauge\na 1\n# HELP a again\n"));
        Assert.Throws<FormatException>(() => ExpositionParser.Parse(
            "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"));
        Assert.Throws<FormatException>(() => ExpositionParser.Parse(
            "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"));
        Assert.Throws<FormatException>(() => ExpositionParser.Parse(
            "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n"));
        Assert.Throws<FormatException>(() => ExpositionParser.Parse("# HELP a a\n# TYPE a gauge\na 1"));
        Assert.Throws<FormatException>(() => ExpositionParser.Parse("# HELP a a\n# TYPE a gauge\na 1,5\n"));
    }

    [PromtoolFact]
    public async Task Promtool_check_metrics_accepts_the_exposition()
    {
        var pnp = new PnpMetrics();
        pnp.DatagramReceived(ReceivedDatagram.Subscribe);
        pnp.DatagramSent(SentDatagram.Response);
        pnp.ResponseSent(200);
        pnp.SubscribeOutcome("snom", "accepted");
        pnp.SubscribeToOk.Observe(TimeSpan.FromMilliseconds(1.5));
        var text = PrometheusExporter.ToText(pnp, new UdpTransportCounters(), Now, [new ProcessMetricsSource(), new HostileLabels()]);

        await Promtool.AssertAcceptsAsync(text);
    }

    [Fact]
    public async Task The_endpoint_serves_the_exposition_with_the_text_format_content_type_and_registered_sources()
    {
        var pnp = new PnpMetrics();
        pnp.SubscribeOutcome("grandstream", "accepted");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(pnp);
        builder.Services.AddSingleton(new UdpTransportCounters());
        builder.Services.AddSingleton<IMetricsSource, HostileLabels>();
        await using var app = builder.Build();
        app.MapPrometheusMetrics();
        await app.StartAsync();
        var address = app.Urls.Single();

        using var http = new HttpClient { BaseAddress = new Uri(address) };
        using var response = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        var families = ExpositionParser.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(1, Value(families, "snomactors_subscribes_total", ("vendor", "grandstream"), ("outcome", "accepted")));
        Assert.True(families.ContainsKey("snomactors_udp_datagrams_received_total"));
        Assert.True(families.ContainsKey("snomactors_process_resident_memory_bytes"));
        Assert.True(Value(families, "snomactors_process_resident_memory_bytes") > 0);
        Assert.True(families.ContainsKey("snomactors_test_settings_downloads_total"));

        // A second scrape sees the counter move.
        pnp.SubscribeOutcome("grandstream", "accepted");
        var again = ExpositionParser.Parse(await http.GetStringAsync("/metrics"));
        Assert.Equal(2, Value(again, "snomactors_subscribes_total", ("vendor", "grandstream"), ("outcome", "accepted")));
        await app.StopAsync();
    }
}

/// <summary>A fact that is skipped, with the reason in the test report, when <c>promtool</c> is not on PATH.</summary>
public sealed class PromtoolFactAttribute : FactAttribute
{
    public PromtoolFactAttribute()
    {
        if (!Promtool.Installed) Skip = Promtool.NotInstalled;
    }

}
