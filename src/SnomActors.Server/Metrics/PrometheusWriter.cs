using System.Globalization;
using System.Text;

namespace SnomActors.Server.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format 0.0.4: one <c># HELP</c> and one <c># TYPE</c> line per
/// family, written before the family's samples, samples of a family contiguous, label values and help
/// text escaped, histograms cumulative and closed by <c>+Inf</c>, <c>_sum</c> and <c>_count</c>.
/// Misuse (an invalid name, a family declared twice, a sample outside its family) throws
/// <see cref="InvalidOperationException"/>: a scrape that a Prometheus server would reject whole is
/// a bug to surface in tests, not to emit.
/// </summary>
public sealed class PrometheusWriter
{
    /// <summary>The <c>Content-Type</c> of a scrape in this format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly TextWriter _output;
    private readonly HashSet<string> _families = new(StringComparer.Ordinal);
    private string? _family;
    private string? _familyType;

    /// <summary>Writes to <paramref name="output"/>; lines end in <c>\n</c> whatever the platform.</summary>
    public PrometheusWriter(TextWriter output) => _output = output ?? throw new ArgumentNullException(nameof(output));

    /// <summary>
    /// Starts a family: its HELP and TYPE lines. <paramref name="type"/> is one of counter, gauge,
    /// histogram, summary, untyped. Counters' names end in <c>_total</c> (the family name is the sample
    /// name in 0.0.4).
    /// </summary>
    public void Family(string name, string type, string help)
    {
        ValidateMetricName(name);
        if (type is not ("counter" or "gauge" or "histogram" or "summary" or "untyped"))
            throw new InvalidOperationException($"Unknown metric type '{type}'.");
        if (type == "counter" && !name.EndsWith("_total", StringComparison.Ordinal))
            throw new InvalidOperationException($"Counter '{name}' must end in _total.");
        if (!_families.Add(name)) throw new InvalidOperationException($"Metric family '{name}' written twice.");
        _family = name;
        _familyType = type;
        _output.Write("# HELP ");
        _output.Write(name);
        _output.Write(' ');
        _output.Write(EscapeHelp(help));
        _output.Write('\n');
        _output.Write("# TYPE ");
        _output.Write(name);
        _output.Write(' ');
        _output.Write(type);
        _output.Write('\n');
    }

    /// <summary>One sample of the current family (for histograms use <see cref="HistogramSamples"/>).</summary>
    public void Sample(double value, params ReadOnlySpan<(string Name, string Value)> labels)
    {
        var family = _family ?? throw new InvalidOperationException("Sample written before any family.");
        if (_familyType is "histogram" or "summary")
            throw new InvalidOperationException($"Use HistogramSamples for '{family}'.");
        WriteSample(family, labels, default, FormatValue(value));
    }

    /// <summary>One sample of the current family with an integer value (written without a decimal point).</summary>
    public void Sample(long value, params ReadOnlySpan<(string Name, string Value)> labels)
    {
        var family = _family ?? throw new InvalidOperationException("Sample written before any family.");
        if (_familyType is "histogram" or "summary")
            throw new InvalidOperationException($"Use HistogramSamples for '{family}'.");
        WriteSample(family, labels, default, value.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Counter family with one unlabelled sample.</summary>
    public void Counter(string name, string help, long value)
    {
        Family(name, "counter", help);
        Sample(value);
    }

    /// <summary>Gauge family with one unlabelled sample.</summary>
    public void Gauge(string name, string help, double value)
    {
        Family(name, "gauge", help);
        Sample(value);
    }

    /// <summary>
    /// The samples of one histogram series of the current (histogram) family.
    /// <paramref name="counts"/> are per bucket, NOT cumulative, one per bound plus a last one for
    /// observations above every bound (the +Inf bucket); they are accumulated here.
    /// </summary>
    public void HistogramSamples(IReadOnlyList<double> bounds, IReadOnlyList<long> counts, double sum,
        params ReadOnlySpan<(string Name, string Value)> labels)
    {
        var family = _family ?? throw new InvalidOperationException("Sample written before any family.");
        if (_familyType != "histogram") throw new InvalidOperationException($"'{family}' is not a histogram.");
        ArgumentNullException.ThrowIfNull(bounds);
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Count != bounds.Count + 1)
            throw new InvalidOperationException($"'{family}': {bounds.Count} bounds need {bounds.Count + 1} counts, got {counts.Count}.");
        for (var i = 1; i < bounds.Count; i++)
            if (!(bounds[i] > bounds[i - 1])) throw new InvalidOperationException($"'{family}': bucket bounds must increase.");

        long cumulative = 0;
        for (var i = 0; i <= bounds.Count; i++)
        {
            cumulative += counts[i];
            var le = i < bounds.Count ? FormatValue(bounds[i]) : "+Inf";
            WriteSample(family + "_bucket", labels, ("le", le), cumulative.ToString(CultureInfo.InvariantCulture));
        }
        WriteSample(family + "_sum", labels, default, FormatValue(sum));
        // _count equals the +Inf bucket by definition; taking it from the same snapshot keeps them equal
        // even while observations race the scrape.
        WriteSample(family + "_count", labels, default, cumulative.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Histogram family with one unlabelled series taken from a <see cref="LatencyHistogram"/>.</summary>
    public void Histogram(string name, string help, LatencyHistogram histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        Family(name, "histogram", help);
        HistogramSamples(histogram.Bounds, histogram.Snapshot(), histogram.SumSeconds);
    }

    private void WriteSample(string name, ReadOnlySpan<(string Name, string Value)> labels, (string Name, string Value) extra, string value)
    {
        _output.Write(name);
        if (labels.Length > 0 || extra.Name is not null)
        {
            _output.Write('{');
            var first = true;
            foreach (var (labelName, labelValue) in labels)
            {
                WriteLabel(labelName, labelValue, ref first);
            }
            if (extra.Name is not null) WriteLabel(extra.Name, extra.Value, ref first);
            _output.Write('}');
        }
        _output.Write(' ');
        _output.Write(value);
        _output.Write('\n');
    }

    private void WriteLabel(string name, string value, ref bool first)
    {
        ValidateLabelName(name);
        if (!first) _output.Write(',');
        first = false;
        _output.Write(name);
        _output.Write("=\"");
        _output.Write(EscapeLabelValue(value ?? string.Empty));
        _output.Write('"');
    }

    /// <summary>Formats a sample value: <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c> or a round-trippable invariant number.</summary>
    public static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>Escapes a label value: backslash, double quote and line feed.</summary>
    public static string EscapeLabelValue(string value)
    {
        if (value.AsSpan().IndexOfAny('\\', '"', '\n') < 0) return value;
        var sb = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            sb.Append(c switch
            {
                '\\' => @"\\",
                '"' => "\\\"",
                '\n' => @"\n",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }

    /// <summary>Escapes HELP text: backslash and line feed (quotes stay as they are in 0.0.4).</summary>
    public static string EscapeHelp(string help) => (help ?? string.Empty).Replace(@"\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);

    /// <summary>True for <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>.</summary>
    public static bool IsValidMetricName(string name) => IsName(name, allowColon: true);

    /// <summary>True for <c>[a-zA-Z_][a-zA-Z0-9_]*</c> not starting with <c>__</c> (reserved).</summary>
    public static bool IsValidLabelName(string name) => IsName(name, allowColon: false) && !name.StartsWith("__", StringComparison.Ordinal);

    private static void ValidateMetricName(string name)
    {
        if (!IsValidMetricName(name)) throw new InvalidOperationException($"'{name}' is not a valid metric name.");
    }

    private static void ValidateLabelName(string name)
    {
        if (!IsValidLabelName(name)) throw new InvalidOperationException($"'{name}' is not a valid label name.");
    }

    private static bool IsName(string? name, bool allowColon)
    {
        if (string.IsNullOrEmpty(name)) return false;
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            var ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_' || (allowColon && c == ':') || (i > 0 && c is >= '0' and <= '9');
            if (!ok) return false;
        }
        return true;
    }
}
