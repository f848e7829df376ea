using System.Globalization;
using System.Text;

namespace SnomActors.Cli.Monitor;

/// <summary>
/// Draws one <c>snomactors monitor</c> frame: a pure function of two consecutive snapshots (rates
/// are the difference between them) and the terminal width, so tests pin every number on screen.
/// The layout follows <c>serctl monitor</c>: a status block, counters, then the latest devices.
/// </summary>
public static class MonitorRenderer
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// The frame as text (lines end in <c>\n</c>, none longer than <paramref name="width"/>).
    /// <paramref name="previous"/> is the frame before (null for the first, where rates show the
    /// average since start instead).
    /// </summary>
    public static string Render(MonitorSnapshot current, MonitorSnapshot? previous, int width = 100)
    {
        ArgumentNullException.ThrowIfNull(current);
        width = Math.Max(60, width);
        var lines = new List<string>();
        var stamp = current.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", Inv);
        lines.Add(Spread($"SnomActors monitor - {current.Server}", stamp, width));
        lines.Add(new string('=', width));

        var pnp = current.Pnp;
        var stats = current.Stats;
        lines.Add(Row("Status", current.Health?.Summary ?? "unknown"));
        lines.Add(Row("Uptime", pnp?.UptimeSeconds is { } up ? FormatUptime(up) : "n/a"));

        // Live dialogs: the router's own count when /metrics answers, else the API's copy of it.
        var live = pnp?.LiveDialogs ?? stats?.LiveDialogs;
        lines.Add(Row("Dialogs", pnp is null
            ? $"live {Num(live)}"
            : $"live {Num(live)}   started {Num(pnp.DialogsStarted)}   completed {Num(pnp.DialogsCompleted)}   crashed {Num(pnp.DialogsCrashed)}"));
        lines.Add(Row("Exchanges", ExchangeLine(current, previous)));

        if (pnp is not null)
        {
            lines.Add(Row("Responses sent", ClassLine(pnp.ResponsesSent.Select(p => (p.Key, p.Value)), firstClass: 1, includeTimeout: null)));
            var notify = pnp.NotifyOutcomes.Select(p => (Code: OutcomeCode(p.Key), p.Value)).Where(p => p.Code is not null)
                .Select(p => (p.Code!.Value, p.Value));
            // A NOTIFY transaction completes with a final response (2xx-6xx) or Timer F.
            lines.Add(Row("NOTIFY answered", ClassLine(notify, firstClass: 2, pnp.NotifyOutcomes.GetValueOrDefault("timeout"))
                + $"   retransmitted {Num(pnp.NotifyRetransmissions)}"));
            var shed = pnp.Shed.Where(p => p.Value > 0).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
            lines.Add(Row("Shed", shed.Count == 0 ? "none" : string.Join("   ", shed.Select(p => $"{p.Key} {Num(p.Value)}"))));
            lines.Add(Row("Latency p50/p95", $"SUBSCRIBE->200 {Quantiles(pnp.SubscribeToOk)}   SUBSCRIBE->NOTIFY ack {Quantiles(pnp.SubscribeToNotifyAck)}"));
        }

        if (stats is not null)
        {
            var s = stats.ByState ?? new StateCounts(0, 0, 0, 0, 0, 0);
            lines.Add(Row("Devices", $"{Num(stats.Devices)} known   seen {Num(s.Seen)}  answered {Num(s.Answered)}  notified {Num(s.Notified)}  " +
                                     $"provisioned {Num(s.Provisioned)}  downloaded {Num(s.Downloaded)}  failed {Num(s.Failed)}"));
            if (stats.Boot is { Started: { } started } boot)
            {
                var percent = boot.Total == 0 ? 0 : 100.0 * boot.Provisioned / boot.Total;
                lines.Add(Row("Boot", $"since {started.UtcDateTime.ToString("HH:mm:ss'Z'", Inv)}   {Num(boot.Provisioned)}/{Num(boot.Total)} provisioned ({percent.ToString("0", Inv)}%)"));
            }
            if (stats.Timeline is { Count: > 0 } timeline)
                lines.Add(Row("Last hour", Sparkline(timeline.Select(p => p.Provisioned).ToList(), Math.Min(60, width - 20))
                                           + $"  {Num(timeline.Sum(p => p.Provisioned))} provisioned"));
        }

        lines.Add(string.Empty);
        lines.Add("Recent devices");
        if (current.RecentDevices.Count == 0) lines.Add("  (none)");
        else
        {
            lines.Add(Columns(width, DeviceColumns, "MAC", "VENDOR", "MODEL", "ADDRESS", "STATE", "LAST SEEN"));
            foreach (var d in current.RecentDevices)
                lines.Add(Columns(width, DeviceColumns, d.Mac, d.Vendor ?? "-", d.Model ?? "-", d.LastIp ?? "-", d.State ?? "-", Clock(d.LastSeen)));
        }

        lines.Add(string.Empty);
        lines.Add("Recent failures");
        if (current.RecentFailures.Count == 0) lines.Add("  (none)");
        else
        {
            lines.Add(Columns(width, FailureColumns, "MAC", "VENDOR", "ADDRESS", "WHEN", "REASON"));
            foreach (var d in current.RecentFailures)
                lines.Add(Columns(width, FailureColumns, d.Mac, d.Vendor ?? "-", d.LastIp ?? "-", Clock(d.Steps?.Failed ?? d.LastSeen), d.Steps?.FailureReason ?? "-"));
        }

        foreach (var warning in current.Warnings)
            lines.Add($"! {warning}");

        var sb = new StringBuilder();
        foreach (var line in lines) sb.Append(Clip(Printable(line), width)).Append('\n');
        return sb.ToString();
    }

    /// <summary>The exchanges line: rate over the last interval (or the average since start on the first frame) and the total.</summary>
    private static string ExchangeLine(MonitorSnapshot current, MonitorSnapshot? previous)
    {
        if (current.Pnp is not { } pnp) return "n/a (no /metrics)";
        var total = pnp.ExchangesCompleted;
        string rate;
        if (previous?.Pnp is { } before && current.At > previous.At && total >= before.ExchangesCompleted)
        {
            var perSecond = (total - before.ExchangesCompleted) / (current.At - previous.At).TotalSeconds;
            var subscribes = (pnp.SubscribesAccepted - before.SubscribesAccepted) / (current.At - previous.At).TotalSeconds;
            rate = $"{Rate(perSecond)}/s now   {Rate(Math.Max(0, subscribes))} SUBSCRIBE/s";
        }
        else if (pnp.UptimeSeconds is { } up && up > 0)
        {
            rate = $"{Rate(total / up)}/s average since start";
        }
        else rate = "-/s";
        return $"{rate}   {Num(total)} completed";
    }

    /// <summary>"1xx 0  2xx 12 …" over every class, timeouts last when given.</summary>
    private static string ClassLine(IEnumerable<(int Code, long Count)> counts, int firstClass, long? includeTimeout)
    {
        var classes = new long[7];
        foreach (var (code, count) in counts)
            if (code is >= 100 and < 700) classes[code / 100] += count;
        var parts = Enumerable.Range(firstClass, 7 - firstClass).Select(c => $"{c}xx {Num(classes[c])}").ToList();
        if (includeTimeout is { } timeouts) parts.Add($"timeout {Num(timeouts)}");
        return string.Join("   ", parts);
    }

    private static int? OutcomeCode(string outcome) => outcome switch
    {
        "acknowledged" => 200,
        _ when outcome.StartsWith("rejected-", StringComparison.Ordinal)
               && int.TryParse(outcome.AsSpan("rejected-".Length), NumberStyles.None, Inv, out var code) => code,
        _ => null,
    };

    private static string Quantiles(HistogramReading? histogram) =>
        histogram?.Quantile(0.5) is { } p50 && histogram.Quantile(0.95) is { } p95
            ? $"{Duration(p50)} / {Duration(p95)}"
            : "- / -";

    /// <summary>Seconds as ms below one second, else seconds.</summary>
    public static string Duration(double seconds) => seconds < 1
        ? (seconds * 1000).ToString(seconds < 0.01 ? "0.0" : "0", Inv) + " ms"
        : seconds.ToString("0.0", Inv) + " s";

    /// <summary>Uptime as <c>[Nd ]HH:MM:SS</c>.</summary>
    public static string FormatUptime(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Max(0, Math.Floor(seconds)));
        var clock = $"{t.Hours:00}:{t.Minutes:00}:{t.Seconds:00}";
        return t.Days > 0 ? $"{t.Days.ToString(Inv)}d {clock}" : clock;
    }

    private static string Rate(double perSecond) => perSecond.ToString(perSecond >= 100 ? "0" : "0.0", Inv);

    private static string Num(long? n) => n is { } v ? v.ToString(Inv) : "n/a";

    private static string Clock(DateTimeOffset at) => at.UtcDateTime.ToString("HH:mm:ss", Inv);

    private static string Row(string label, string value) => $"{label,-16} {value}";

    private static string Spread(string left, string right, int width) =>
        left.Length + right.Length + 1 >= width ? left + " " + right : left + new string(' ', width - left.Length - right.Length) + right;

    private static readonly int[] DeviceColumns = [14, 13, 13, 17, 13];
    private static readonly int[] FailureColumns = [14, 13, 17, 10];

    private static string Columns(int width, int[] columnWidths, params string[] cells)
    {
        var sb = new StringBuilder("  ");
        for (var i = 0; i < cells.Length; i++)
        {
            var cell = Printable(cells[i]);
            if (i < cells.Length - 1)
            {
                var w = columnWidths[Math.Min(i, columnWidths.Length - 1)];
                sb.Append(cell.Length >= w ? cell[..(w - 2)] + "~ " : cell.PadRight(w));
            }
            else sb.Append(cell);
        }
        return Clip(sb.ToString(), width);
    }

    private static readonly char[] Bars = [' ', '.', ':', '-', '=', '+', '*', '#'];

    /// <summary>An ASCII sparkline of the last <paramref name="width"/> values (ASCII so any terminal and capture shows it).</summary>
    private static string Sparkline(IReadOnlyList<int> values, int width)
    {
        var tail = values.Skip(Math.Max(0, values.Count - width)).ToList();
        var max = tail.Count == 0 ? 0 : tail.Max();
        return "[" + new string([.. tail.Select(v => max == 0 ? ' ' : Bars[(int)Math.Ceiling((double)v / max * (Bars.Length - 1))])]) + "]";
    }

    /// <summary>Device fields come from the network (User-Agent, model): never let them move the cursor.</summary>
    private static string Printable(string text) =>
        string.Create(text.Length, text, (dest, src) =>
        {
            for (var i = 0; i < dest.Length; i++) dest[i] = char.IsControl(src[i]) ? '?' : src[i];
        });

    private static string Clip(string line, int width) => line.Length <= width ? line : line[..width];
}
