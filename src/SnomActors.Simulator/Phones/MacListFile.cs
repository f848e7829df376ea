using SnomActors.Sip.Identity;

namespace SnomActors.Simulator.Phones;

/// <summary>
/// The phones of <c>snomactors simulate --macs FILE</c>: the same CSV the daemon imports (a header
/// row with a <c>mac</c> column, any other columns ignored) or a plain list, one MAC per line.
/// MACs may be in any usual notation; blank lines and <c>#</c> comments are skipped, repeats dropped.
/// </summary>
public static class MacListFile
{
    /// <summary>Most phones a file may list (the simulator's and the API's bound).</summary>
    public const int MaxPhones = 100_000;

    /// <summary>The normalised MACs in file order, or false with an error naming the line.</summary>
    public static bool TryParse(string text, out IReadOnlyList<string> macs, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        macs = result;
        error = string.Empty;
        var column = -1;
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r').Trim();
            if (lineNumber == 1) line = line.TrimStart('\uFEFF');
            if (line.Length == 0 || line[0] == '#') continue;
            var cells = line.Split(',');
            if (column < 0 && result.Count == 0 && !MacAddress.TryNormalize(Unquote(cells[0]), out _))
            {
                // The first row that is not a MAC is a CSV header: it must name the mac column.
                column = Array.FindIndex(cells, c => Unquote(c).Equals("mac", StringComparison.OrdinalIgnoreCase));
                if (column < 0)
                {
                    error = $"line {lineNumber}: '{Printable(cells[0])}' is neither a MAC address nor a CSV header with a 'mac' column";
                    return false;
                }
                continue;
            }
            var index = Math.Max(column, 0);
            if (index >= cells.Length)
            {
                error = $"line {lineNumber}: no value in the mac column";
                return false;
            }
            var cell = Unquote(cells[index]);
            if (!MacAddress.TryNormalize(cell, out var mac))
            {
                error = $"line {lineNumber}: '{Printable(cell)}' is not a MAC address";
                return false;
            }
            if (seen.Add(mac)) result.Add(mac);
            if (result.Count > MaxPhones)
            {
                error = $"more than {MaxPhones} phones";
                return false;
            }
        }
        if (result.Count == 0)
        {
            error = "no MAC address in the file";
            return false;
        }
        return true;
    }

    private static string Unquote(string cell)
    {
        var c = cell.Trim();
        return c.Length >= 2 && c[0] == '"' && c[^1] == '"' ? c[1..^1].Trim() : c;
    }

    private static string Printable(string s)
    {
        var cut = s.Length > 40 ? s[..40] + "…" : s;
        return string.Concat(cut.Select(ch => ch is >= ' ' and <= '~' or '…' ? ch : '?'));
    }
}
