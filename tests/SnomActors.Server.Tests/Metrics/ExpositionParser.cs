using System.Globalization;
using System.Text;

namespace SnomActors.Server.Tests.Metrics;

/// <summary>One parsed sample: its full name (e.g. <c>x_bucket</c>), labels and value.</summary>
public sealed record ParsedSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"{Name} has no label {name}");
}

/// <summary>One family: HELP, TYPE and its samples in order.</summary>
public sealed record ParsedFamily(string Name, string Type, string Help, List<ParsedSample> Samples);

/// <summary>
/// A deliberately strict reader of the Prometheus text format 0.0.4, written independently of the
/// exporter so that the tests check the format, not the writer against itself. Throws
/// <see cref="FormatException"/> with the line number on anything a Prometheus server would reject
/// or that the format's conventions forbid (HELP/TYPE after samples or twice, a family split in two,
/// histograms not cumulative or without +Inf, _count different from the +Inf bucket…).
/// </summary>
public static class ExpositionParser
{
    private static readonly HashSet<string> Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    public static IReadOnlyDictionary<string, ParsedFamily> Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n')) throw new FormatException("the exposition must end with a line feed");
        if (text.Contains('\r')) throw new FormatException("carriage return in the exposition");
        var families = new Dictionary<string, ParsedFamily>(StringComparer.Ordinal);
        var helps = new Dictionary<string, string>(StringComparer.Ordinal);
        var closed = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length - 1; n++)
        {
            var line = lines[n];
            var where = $"line {n + 1} '{line}'";
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length >= 3 && parts[0] == "#" && parts[1] is "HELP" or "TYPE")
                {
                    var name = parts[2];
                    if (!IsMetricName(name)) throw new FormatException($"{where}: bad metric name");
                    if (families.TryGetValue(name, out var existing) && existing.Samples.Count > 0)
                        throw new FormatException($"{where}: {parts[1]} after the family's samples");
                    if (closed.Contains(name)) throw new FormatException($"{where}: family {name} reopened");
                    if (current is not null && current != name) closed.Add(current);
                    current = name;
                    if (parts[1] == "HELP")
                    {
                        if (helps.ContainsKey(name)) throw new FormatException($"{where}: second HELP for {name}");
                        helps[name] = UnescapeHelp(parts.Length == 4 ? parts[3] : string.Empty, where);
                        if (families.TryGetValue(name, out var f)) families[name] = f with { Help = helps[name] };
                    }
                    else
                    {
                        if (parts.Length != 4 || !Types.Contains(parts[3])) throw new FormatException($"{where}: bad TYPE");
                        if (families.ContainsKey(name)) throw new FormatException($"{where}: second TYPE for {name}");
                        families[name] = new ParsedFamily(name, parts[3], helps.GetValueOrDefault(name, string.Empty), []);
                    }
                }
                continue; // any other comment is allowed
            }

            var sample = ParseSample(line, where);
            var family = FamilyOf(sample.Name, families);
            if (family is null) throw new FormatException($"{where}: sample without a TYPE line before it");
            if (closed.Contains(family.Name)) throw new FormatException($"{where}: samples of {family.Name} are not contiguous");
            if (current is not null && current != family.Name) closed.Add(current);
            current = family.Name;
            if (family.Type == "counter" && (sample.Value < 0 || double.IsNaN(sample.Value)))
                throw new FormatException($"{where}: negative counter");
            family.Samples.Add(sample);
        }

        foreach (var family in families.Values)
        {
            if (!helps.ContainsKey(family.Name)) throw new FormatException($"{family.Name}: no HELP");
            CheckDuplicates(family);
            if (family.Type == "histogram") CheckHistogram(family);
        }
        return families;
    }

    private static ParsedFamily? FamilyOf(string sampleName, Dictionary<string, ParsedFamily> families)
    {
        if (families.TryGetValue(sampleName, out var exact) && exact.Type is not ("histogram" or "summary")) return exact;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal)
                && families.TryGetValue(sampleName[..^suffix.Length], out var f)
                && (f.Type == "histogram" || (f.Type == "summary" && suffix != "_bucket")))
                return f;
        }
        return null;
    }

    private static ParsedSample ParseSample(string line, string where)
    {
        var i = 0;
        while (i < line.Length && line[i] is not ('{' or ' ')) i++;
        var name = line[..i];
        if (!IsMetricName(name)) throw new FormatException($"{where}: bad metric name '{name}'");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                if (i >= line.Length) throw new FormatException($"{where}: unterminated label set");
                if (line[i] == '}') { i++; break; }
                var start = i;
                while (i < line.Length && line[i] != '=') i++;
                var label = line[start..i];
                if (!IsLabelName(label)) throw new FormatException($"{where}: bad label name '{label}'");
                if (i + 1 >= line.Length || line[i + 1] != '"') throw new FormatException($"{where}: label value not quoted");
                i += 2;
                var value = new StringBuilder();
                while (true)
                {
                    if (i >= line.Length) throw new FormatException($"{where}: unterminated label value");
                    var c = line[i++];
                    if (c == '"') break;
                    if (c == '\\')
                    {
                        if (i >= line.Length) throw new FormatException($"{where}: dangling backslash");
                        value.Append(line[i++] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            var other => throw new FormatException($"{where}: bad escape \\{other}"),
                        });
                    }
                    else value.Append(c);
                }
                if (!labels.TryAdd(label, value.ToString())) throw new FormatException($"{where}: label {label} twice");
                if (i < line.Length && line[i] == ',') { i++; continue; }
                if (i < line.Length && line[i] == '}') { i++; break; }
                throw new FormatException($"{where}: expected ',' or '}}' after a label");
            }
        }
        if (i >= line.Length || line[i] != ' ') throw new FormatException($"{where}: no space before the value");
        var rest = line[(i + 1)..].Split(' ');
        if (rest.Length is < 1 or > 2) throw new FormatException($"{where}: expected value [timestamp]");
        var sampleValue = ParseValue(rest[0], where);
        if (rest.Length == 2 && !long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            throw new FormatException($"{where}: bad timestamp");
        return new ParsedSample(name, labels, sampleValue);
    }

    public static double ParseValue(string text, string where) => text switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ when text.Length > 0 && text.All(c => c is (>= '0' and <= '9') or '.' or 'e' or 'E' or '+' or '-')
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) => v,
        _ => throw new FormatException($"{where}: bad value '{text}'"),
    };

    private static string UnescapeHelp(string text, string where)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\') { sb.Append(text[i]); continue; }
            if (++i >= text.Length) throw new FormatException($"{where}: dangling backslash in HELP");
            sb.Append(text[i] switch
            {
                '\\' => '\\',
                'n' => '\n',
                var other => throw new FormatException($"{where}: bad escape \\{other} in HELP"),
            });
        }
        return sb.ToString();
    }

    private static void CheckDuplicates(ParsedFamily family)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in family.Samples)
        {
            var key = s.Name + "{" + string.Join(",", s.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}";
            if (!seen.Add(key)) throw new FormatException($"{family.Name}: series {key} twice");
        }
    }

    private static void CheckHistogram(ParsedFamily family)
    {
        foreach (var series in family.Samples.GroupBy(s => SeriesKey(s.Labels)))
        {
            var buckets = series.Where(s => s.Name == family.Name + "_bucket").ToList();
            var sum = series.SingleOrDefault(s => s.Name == family.Name + "_sum") ?? throw new FormatException($"{family.Name}{series.Key}: no _sum");
            var count = series.SingleOrDefault(s => s.Name == family.Name + "_count") ?? throw new FormatException($"{family.Name}{series.Key}: no _count");
            if (buckets.Count == 0) throw new FormatException($"{family.Name}{series.Key}: no buckets");
            var previousLe = double.NegativeInfinity;
            var previousCount = 0.0;
            foreach (var b in buckets)
            {
                var le = ParseValue(b.Label("le"), $"{family.Name} le");
                if (!(le > previousLe)) throw new FormatException($"{family.Name}{series.Key}: le {le} not increasing");
                if (b.Value < previousCount) throw new FormatException($"{family.Name}{series.Key}: bucket le={le} not cumulative");
                previousLe = le;
                previousCount = b.Value;
            }
            if (!double.IsPositiveInfinity(previousLe)) throw new FormatException($"{family.Name}{series.Key}: last bucket is not +Inf");
            if (count.Value != previousCount) throw new FormatException($"{family.Name}{series.Key}: _count {count.Value} != +Inf bucket {previousCount}");
            if (sum.Value < 0) throw new FormatException($"{family.Name}{series.Key}: negative _sum");
        }
    }

    private static string SeriesKey(IReadOnlyDictionary<string, string> labels) =>
        "{" + string.Join(",", labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}";

    private static bool IsMetricName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] is '_' or ':') && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':');

    private static bool IsLabelName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
