using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SnomActors.Cli.Commands;

/// <summary>
/// Left-aligned plain-text columns (two spaces apart, no trailing blanks) for the admin commands'
/// listings: readable in a terminal and easy to cut with awk. Missing values print as <c>-</c> so
/// every row has the same number of fields.
/// </summary>
internal static class TextTable
{
    public static string Render(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var all = new List<string[]> { header.ToArray() };
        all.AddRange(rows.Select(r => r.Select(c => string.IsNullOrEmpty(c) ? "-" : Clean(c)).ToArray()));
        var widths = Enumerable.Range(0, header.Count).Select(i => all.Max(r => i < r.Length ? r[i].Length : 0)).ToArray();
        var sb = new StringBuilder();
        foreach (var row in all)
        {
            var line = new StringBuilder();
            for (var i = 0; i < header.Count; i++)
            {
                var cell = i < row.Length ? row[i] : "-";
                line.Append(i == header.Count - 1 ? cell : cell.PadRight(widths[i] + 2));
            }
            sb.Append(line.ToString().TrimEnd()).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>A timestamp from the API (ISO 8601) as <c>2026-11-26 16:02:22Z</c>; null stays null.</summary>
    public static string? Time(JsonElement element) =>
        element.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z"
            : null;

    /// <summary>A property as display text: strings as they are, numbers invariant, null/missing as null.</summary>
    public static string? Text(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                _ => value.GetRawText(),
            }
            : null;

    /// <summary>An integer property, or null when missing, null or not a 32-bit number (TryGetInt32 throws on non-numbers).</summary>
    public static int? Int(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value)
            && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n)
            ? n
            : null;

    // A device's User-Agent or model comes from the network: no control characters into the terminal.
    private static string Clean(string cell) =>
        cell.Any(char.IsControl) ? new string(cell.Select(c => char.IsControl(c) ? '?' : c).ToArray()) : cell;
}
