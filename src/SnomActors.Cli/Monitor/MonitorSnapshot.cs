using System.Globalization;
using System.Text.Json;
using SnomActors.Cli.Api;

namespace SnomActors.Cli.Monitor;

/// <summary>Device counts per provisioning state (<c>/api/stats</c> <c>byState</c>).</summary>
public sealed record StateCounts(int Seen, int Answered, int Notified, int Provisioned, int Downloaded, int Failed);

/// <summary>One point of the provisioning chart.</summary>
public sealed record TimelinePoint(DateTimeOffset At, int Provisioned);

/// <summary>The boot in progress: devices seen since it started and how many are provisioned.</summary>
public sealed record BootInfo(DateTimeOffset? Started, int Total, int Provisioned);

/// <summary>The client's view of <c>GET /api/stats</c> (described by /openapi/v1.json); unknown fields are ignored.</summary>
public sealed record StatsSnapshot(int Devices, StateCounts? ByState, int LiveDialogs, IReadOnlyList<TimelinePoint>? Timeline, BootInfo? Boot);

/// <summary>Timestamps of a device's last attempt (only what the monitor shows).</summary>
public sealed record DeviceSteps(DateTimeOffset? Failed, string? FailureReason, DateTimeOffset? SettingsDownloaded);

/// <summary>A device row of <c>GET /api/devices</c> (only what the monitor shows).</summary>
public sealed record DeviceRow(string Mac, string? Vendor, string? Model, string? LastIp, DateTimeOffset LastSeen, string? State, DeviceSteps? Steps);

/// <summary>A page of <c>GET /api/devices</c>.</summary>
public sealed record DevicePage(int Total, IReadOnlyList<DeviceRow>? Items);

/// <summary>A latency histogram read back from <c>/metrics</c>: cumulative counts per upper bound (+Inf last).</summary>
public sealed record HistogramReading(IReadOnlyList<(double Le, double Count)> Buckets, double Sum, double Count)
{
    /// <summary>
    /// The <paramref name="q"/>-quantile estimated like PromQL's <c>histogram_quantile</c>: linear
    /// inside the bucket that holds it; null without observations. Above the last finite bound it
    /// returns that bound (the true value is only known to be larger).
    /// </summary>
    public double? Quantile(double q)
    {
        if (Count <= 0 || Buckets.Count == 0) return null;
        var rank = q * Count;
        var lowerBound = 0.0;
        var lowerCount = 0.0;
        foreach (var (le, count) in Buckets)
        {
            if (count >= rank)
            {
                if (double.IsPositiveInfinity(le)) return lowerBound;
                var inBucket = count - lowerCount;
                return inBucket <= 0 ? le : lowerBound + (le - lowerBound) * ((rank - lowerCount) / inBucket);
            }
            lowerBound = double.IsPositiveInfinity(le) ? lowerBound : le;
            lowerCount = count;
        }
        return lowerBound;
    }
}

/// <summary>The PnP core's counters as <c>/metrics</c> reports them (names of <c>PrometheusExporter</c>).</summary>
public sealed record PnpCounters(
    double? UptimeSeconds,
    long LiveDialogs,
    long DialogsStarted,
    long DialogsCompleted,
    long DialogsCrashed,
    IReadOnlyDictionary<int, long> ResponsesSent,
    IReadOnlyDictionary<string, long> NotifyOutcomes,
    long NotifyRetransmissions,
    IReadOnlyDictionary<string, long> Shed,
    long SubscribesAccepted,
    long DatagramsReceived,
    long DatagramsSent,
    HistogramReading? SubscribeToOk,
    HistogramReading? SubscribeToNotifyAck)
{
    /// <summary>Exchanges that completed: the phone acknowledged our NOTIFY with a 2xx.</summary>
    public long ExchangesCompleted => NotifyOutcomes.GetValueOrDefault("acknowledged");

    /// <summary>Reads the counters from an exposition; families the daemon does not export read as 0.</summary>
    public static PnpCounters FromSamples(IReadOnlyList<MetricSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        long Sum(string name, Func<MetricSample, bool>? where = null) =>
            (long)samples.Where(s => s.Name == name && (where is null || where(s))).Sum(s => s.Value);
        Dictionary<string, long> By(string name, string label)
        {
            var result = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var s in samples.Where(s => s.Name == name))
            {
                if (s.Label(label) is { } key) result[key] = result.GetValueOrDefault(key) + (long)s.Value;
            }
            return result;
        }
        HistogramReading? Histogram(string name)
        {
            var buckets = samples.Where(s => s.Name == name + "_bucket" && s.Label("le") is not null)
                .Select(s => (Le: ParseLe(s.Label("le")!), Count: s.Value)).Where(b => b.Le is not null)
                .Select(b => (b.Le!.Value, b.Count)).OrderBy(b => b.Value).ToList();
            if (buckets.Count == 0) return null;
            var sum = samples.FirstOrDefault(s => s.Name == name + "_sum")?.Value ?? 0;
            var count = samples.FirstOrDefault(s => s.Name == name + "_count")?.Value ?? buckets[^1].Count;
            return new HistogramReading(buckets, sum, count);
        }

        return new PnpCounters(
            samples.FirstOrDefault(s => s.Name == "snomactors_uptime_seconds")?.Value,
            Sum("snomactors_dialogs_live"),
            Sum("snomactors_dialogs_started_total"),
            Sum("snomactors_dialogs_ended_total", s => s.Label("result") == "completed"),
            Sum("snomactors_dialogs_ended_total", s => s.Label("result") == "crashed"),
            By("snomactors_sip_responses_sent_total", "code")
                .Where(p => int.TryParse(p.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                .ToDictionary(p => int.Parse(p.Key, NumberStyles.None, CultureInfo.InvariantCulture), p => p.Value),
            By("snomactors_notify_outcomes_total", "outcome"),
            Sum("snomactors_notify_retransmissions_total"),
            By("snomactors_shed_requests_total", "reason"),
            Sum("snomactors_subscribes_total", s => s.Label("outcome") == "accepted"),
            Sum("snomactors_sip_datagrams_received_total"),
            Sum("snomactors_sip_datagrams_sent_total"),
            Histogram("snomactors_subscribe_to_ok_seconds"),
            Histogram("snomactors_subscribe_to_notify_ack_seconds"));
    }

    private static double? ParseLe(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) => v,
        _ => null,
    };
}

/// <summary>What <c>/health/ready</c> said.</summary>
public sealed record HealthInfo(bool Ready, string Summary);

/// <summary>
/// Everything one monitor frame shows, fetched at <see cref="At"/>. Each part is null when its endpoint
/// failed; <see cref="Warnings"/> says why, so a half-working daemon still gets a useful screen.
/// </summary>
public sealed record MonitorSnapshot(
    string Server,
    DateTimeOffset At,
    HealthInfo? Health,
    StatsSnapshot? Stats,
    PnpCounters? Pnp,
    IReadOnlyList<DeviceRow> RecentDevices,
    IReadOnlyList<DeviceRow> RecentFailures,
    IReadOnlyList<string> Warnings)
{
    /// <summary>How many recent devices and failures a frame lists.</summary>
    public const int RecentRows = 8;

    /// <summary>
    /// Fetches one snapshot: <c>/health/ready</c>, <c>/api/stats</c>, <c>/metrics</c> and the most recent
    /// devices and failures, concurrently. Throws <see cref="DaemonApiException"/> only when the daemon
    /// is unreachable; an endpoint that answers with an error becomes a warning.
    /// </summary>
    public static async Task<MonitorSnapshot> FetchAsync(DaemonApiClient client, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(time);
        var warnings = new List<string>();
        var health = client.ProbeAsync("health/ready", cancellationToken);
        var stats = Optional(() => client.GetJsonAsync<StatsSnapshot>("api/stats", cancellationToken), "/api/stats", warnings);
        var metrics = Optional(() => client.GetTextAsync("metrics", cancellationToken), "/metrics", warnings);
        var recent = Optional(() => client.GetJsonAsync<DevicePage>($"api/devices?limit={RecentRows}", cancellationToken), "/api/devices", warnings);
        var failures = Optional(() => client.GetJsonAsync<DevicePage>($"api/devices?state=failed&limit={RecentRows}", cancellationToken), "/api/devices?state=failed", warnings);
        await Task.WhenAll(health, stats, metrics, recent, failures);

        var (status, body) = await health;
        var text = await metrics;
        return new MonitorSnapshot(
            client.BaseAddress.GetLeftPart(UriPartial.Authority),
            time.GetUtcNow(),
            HealthFrom(status, body),
            await stats,
            text is null ? null : PnpCounters.FromSamples(MetricsText.Parse(text)),
            [.. ((await recent)?.Items ?? []).OrderByDescending(d => d.LastSeen).Take(RecentRows)],
            [.. ((await failures)?.Items ?? []).OrderByDescending(d => d.Steps?.Failed ?? d.LastSeen).Take(RecentRows)],
            [.. warnings.Order(StringComparer.Ordinal)]);
    }

    private static HealthInfo HealthFrom(int status, JsonElement? body)
    {
        if (status == 200)
        {
            var sip = body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty("sip", out var s) && s.ValueKind == JsonValueKind.Array
                ? string.Join(", ", s.EnumerateArray().Select(e => e.ToString()))
                : null;
            return new HealthInfo(true, sip is { Length: > 0 } ? $"ready (SIP {sip})" : "ready");
        }
        var detail = body is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("detail", out var d) ? d.GetString() : null;
        return new HealthInfo(false, detail is { Length: > 0 } ? $"NOT READY ({detail})" : $"NOT READY (HTTP {status})");
    }

    private static async Task<T?> Optional<T>(Func<Task<T>> fetch, string what, List<string> warnings) where T : class
    {
        try
        {
            return await fetch();
        }
        catch (DaemonApiException ex) when (!ex.Unreachable)
        {
            lock (warnings) warnings.Add($"{what}: {ex.Title}{(ex.Status is { } s ? $" ({s})" : string.Empty)}");
            return null;
        }
    }
}
