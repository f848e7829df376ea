using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SnomActors.Simulator.Phones;

namespace SnomActors.Simulator.Reporting;

/// <summary>Percentiles of one latency, in milliseconds (nearest-rank).</summary>
/// <param name="Count">Phones that reached both steps.</param>
public sealed record LatencySummary(int Count, double P50Ms, double P95Ms, double P99Ms, double MaxMs)
{
    /// <summary>No samples.</summary>
    public static readonly LatencySummary Empty = new(0, 0, 0, 0, 0);

    /// <summary>Summarises <paramref name="samples"/>.</summary>
    public static LatencySummary Of(IEnumerable<TimeSpan> samples)
    {
        var ms = samples.Select(s => s.TotalMilliseconds).ToArray();
        if (ms.Length == 0) return Empty;
        Array.Sort(ms);
        return new LatencySummary(ms.Length, Rank(ms, 0.50), Rank(ms, 0.95), Rank(ms, 0.99), ms[^1]);
    }

    private static double Rank(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}

/// <summary>
/// The result of a simulation: how many phones ended how, and how long the steps took.
/// </summary>
/// <param name="Phones">Phones in the run.</param>
/// <param name="Provisioned">Phones fully provisioned.</param>
/// <param name="Outcomes">Phones per outcome label (<c>provisioned</c>, <c>no-answer</c>, <c>rejected(503)</c> …).</param>
/// <param name="SubscribeToAnswer">First SUBSCRIBE → 200.</param>
/// <param name="SubscribeToNotify">First SUBSCRIBE → NOTIFY.</param>
/// <param name="BootToDownloaded">Boot → settings downloaded.</param>
/// <param name="SubscribeRetransmissions">SUBSCRIBEs sent beyond the first, all phones.</param>
/// <param name="PhonesThatRetransmitted">Phones that had to send their SUBSCRIBE more than once.</param>
/// <param name="Duration">First boot to last outcome.</param>
/// <param name="ByVendor">Provisioned / total per vendor.</param>
public sealed record SimulationReport(
    int Phones,
    int Provisioned,
    IReadOnlyDictionary<string, int> Outcomes,
    LatencySummary SubscribeToAnswer,
    LatencySummary SubscribeToNotify,
    LatencySummary BootToDownloaded,
    long SubscribeRetransmissions,
    int PhonesThatRetransmitted,
    TimeSpan Duration,
    IReadOnlyDictionary<string, VendorCount> ByVendor)
{
    /// <summary>What the phones' sockets sent and received, when the run was over real UDP.</summary>
    public DatagramCounts? Datagrams { get; init; }

    /// <summary>True when every phone was provisioned.</summary>
    public bool AllProvisioned => Provisioned == Phones;

    /// <summary>
    /// Builds the report; phones without a result count as <c>unfinished</c>, split by the last step
    /// they reached when <paramref name="unfinishedAt"/> says it (a run cut off by its timeout then
    /// shows whether the phones never booted, waited for the 200, or waited for the NOTIFY).
    /// </summary>
    /// <param name="results">Every phone that has an outcome.</param>
    /// <param name="phones">Phones in the run.</param>
    /// <param name="unfinishedAt">For phones without a result: how many stopped after each step (<c>null</c> = not booted).</param>
    public static SimulationReport From(IReadOnlyCollection<PhoneResult> results, int phones, IReadOnlyDictionary<PhoneStep, int>? unfinishedAt = null)
    {
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in results) outcomes[r.OutcomeLabel] = outcomes.GetValueOrDefault(r.OutcomeLabel) + 1;
        var unfinished = phones - results.Count;
        if (unfinished > 0 && unfinishedAt is not null)
        {
            var accounted = 0;
            foreach (var (step, count) in unfinishedAt.OrderBy(kv => kv.Key))
            {
                if (count <= 0) continue;
                outcomes[$"unfinished({StepText(step)})"] = count;
                accounted += count;
            }
            if (unfinished - accounted > 0) outcomes["unfinished(not booted)"] = unfinished - accounted;
        }
        else if (unfinished > 0) outcomes[PhoneResult.OutcomeText(PhoneOutcome.Unfinished)] = unfinished;
        var provisioned = results.Count(r => r.Outcome == PhoneOutcome.Provisioned);
        var byVendor = new SortedDictionary<string, VendorCount>(StringComparer.Ordinal);
        foreach (var group in results.GroupBy(r => r.Vendor))
            byVendor[group.Key] = new VendorCount(group.Count(), group.Count(r => r.Outcome == PhoneOutcome.Provisioned));
        var duration = results.Count == 0 ? TimeSpan.Zero : results.Max(r => r.FinishedAt) - results.Min(r => r.BootedAt);
        return new SimulationReport(
            phones, provisioned, outcomes,
            LatencySummary.Of(results.Where(r => r.SubscribeToAnswer is not null).Select(r => r.SubscribeToAnswer!.Value)),
            LatencySummary.Of(results.Where(r => r.SubscribeToNotify is not null).Select(r => r.SubscribeToNotify!.Value)),
            LatencySummary.Of(results.Where(r => r.BootToDownloaded is not null).Select(r => r.BootToDownloaded!.Value)),
            results.Sum(r => (long)Math.Max(0, r.SubscribeTransmissions - 1)),
            results.Count(r => r.SubscribeTransmissions > 1),
            duration, byVendor);
    }

    /// <summary>The human-readable summary: outcomes, latency percentiles, and <c>provisioned: N</c>.</summary>
    public string ToTable()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"phones: {Phones}");
        sb.AppendLine("outcome            phones");
        foreach (var (label, count) in Outcomes) sb.AppendLine(inv, $"  {label,-16} {count,6}");
        if (ByVendor.Count > 1)
        {
            sb.AppendLine("vendor        provisioned/phones");
            foreach (var (vendor, c) in ByVendor) sb.AppendLine(inv, $"  {vendor,-12} {c.Provisioned,6}/{c.Phones}");
        }
        sb.AppendLine("latency (ms)              n      p50      p95      p99      max");
        Row(sb, "SUBSCRIBE->200", SubscribeToAnswer);
        Row(sb, "SUBSCRIBE->NOTIFY", SubscribeToNotify);
        Row(sb, "boot->downloaded", BootToDownloaded);
        sb.AppendLine(inv, $"SUBSCRIBE retransmissions: {SubscribeRetransmissions} ({PhonesThatRetransmitted} phones)");
        if (Datagrams is { } d)
            sb.AppendLine(inv, $"datagrams: sent {d.Sent}, received {d.Received}, send errors {d.SendErrors}");
        sb.AppendLine(inv, $"duration: {Duration.TotalSeconds:0.000} s");
        sb.AppendLine(inv, $"provisioned: {Provisioned}");
        return sb.ToString();
    }

    private static string StepText(PhoneStep step) => step switch
    {
        PhoneStep.Booted => "no 200 yet",
        PhoneStep.Answered => "no NOTIFY yet",
        PhoneStep.Notified => "downloading",
        PhoneStep.Downloaded => "downloaded",
        _ => step.ToString(),
    };

    private static void Row(StringBuilder sb, string name, LatencySummary s) =>
        sb.AppendLine(CultureInfo.InvariantCulture, $"  {name,-18} {s.Count,7} {s.P50Ms,8:0.00} {s.P95Ms,8:0.00} {s.P99Ms,8:0.00} {s.MaxMs,8:0.00}");

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new DurationConverter() },
    };

    /// <summary>The report as JSON (camelCase, durations in seconds).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    private sealed class DurationConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            TimeSpan.FromSeconds(reader.GetDouble());

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
            writer.WriteNumberValue(Math.Round(value.TotalSeconds, 6));
    }
}

/// <summary>Datagrams through the simulator's sockets.</summary>
public sealed record DatagramCounts(long Sent, long Received, long SendErrors);

/// <summary>Phones of one vendor and how many of them were provisioned.</summary>
public sealed record VendorCount(int Phones, int Provisioned);
