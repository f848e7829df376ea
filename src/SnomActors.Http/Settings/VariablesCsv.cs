using System.Text;
using SnomActors.Sip.Identity;

namespace SnomActors.Http.Settings;

/// <summary>What happened to one data row of an import.</summary>
/// <param name="Line">1-based physical line where the record starts.</param>
/// <param name="Mac">The normalised MAC, or the raw first field when it is not a MAC.</param>
/// <param name="Status"><c>accepted</c> or <c>rejected</c>.</param>
/// <param name="Error">Why it was rejected; null when accepted.</param>
public sealed record CsvRowReport(int Line, string Mac, string Status, string? Error)
{
    /// <summary>Status of a row that will be stored.</summary>
    public const string Accepted = "accepted";
    /// <summary>Status of a row that was not stored.</summary>
    public const string Rejected = "rejected";
}

/// <summary>One accepted row: a phone and its variables (an empty field is an empty string here; the importer decides what that means).</summary>
public sealed record CsvDeviceVariables(string Mac, IReadOnlyDictionary<string, string> Variables);

/// <summary>The outcome of parsing an import file.</summary>
/// <param name="HeaderError">Set when the header itself is unusable; nothing is imported then.</param>
/// <param name="Variables">Variable names from the header, in column order.</param>
/// <param name="Accepted">Rows to store.</param>
/// <param name="Rows">A report line for each data row, in file order.</param>
public sealed record CsvImportResult(
    string? HeaderError, IReadOnlyList<string> Variables, IReadOnlyList<CsvDeviceVariables> Accepted, IReadOnlyList<CsvRowReport> Rows)
{
    /// <summary>Rows accepted.</summary>
    public int AcceptedCount => Accepted.Count;
    /// <summary>Rows rejected.</summary>
    public int RejectedCount => Rows.Count - Accepted.Count;
}

/// <summary>
/// Bulk per-device variables as CSV (RFC 4180): header <c>mac,&lt;var&gt;,&lt;var&gt;…</c>, one phone per row.
/// Import never throws on bad data: every row gets a verdict the operator can read.
/// </summary>
public static class VariablesCsv
{
    /// <summary>Most variables per file; a header beyond this is a wrong file, not an address book.</summary>
    public const int MaxVariables = 256;
    /// <summary>Longest value kept; settings values are short (names, numbers, passwords).</summary>
    public const int MaxValueLength = 4096;

    /// <summary>Parses an import file.</summary>
    public static CsvImportResult Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..]; // spreadsheet exports start with a BOM
        var reader = new RecordReader(text);

        CsvRecord? header = null;
        while (reader.Next() is { } record)
        {
            if (record.IsBlank) continue;
            header = record;
            break;
        }
        if (header is null) return HeaderFailure("The file is empty: expected a header row 'mac,<variable>,...'.");
        if (header.Error is not null) return HeaderFailure($"Header (line {header.Line}): {header.Error}");
        var headerError = CheckHeader(header.Fields, out var variables);
        if (headerError is not null) return HeaderFailure($"Header (line {header.Line}): {headerError}");

        var accepted = new List<CsvDeviceVariables>();
        var rows = new List<CsvRowReport>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        while (reader.Next() is { } record)
        {
            if (record.IsBlank) continue;
            var rawMac = record.Fields.Count > 0 ? record.Fields[0].Trim() : string.Empty;
            if (record.Error is not null) { rows.Add(Reject(record.Line, rawMac, record.Error)); continue; }
            if (record.Fields.Count > variables.Count + 1)
            {
                rows.Add(Reject(record.Line, rawMac, $"Too many columns: {record.Fields.Count}, the header has {variables.Count + 1}."));
                continue;
            }
            if (record.Fields.Count < variables.Count + 1)
            {
                rows.Add(Reject(record.Line, rawMac, $"Too few columns: {record.Fields.Count}, the header has {variables.Count + 1}."));
                continue;
            }
            if (rawMac.Length == 0) { rows.Add(Reject(record.Line, rawMac, "The MAC is empty.")); continue; }
            if (!MacAddress.TryNormalize(rawMac, out var mac))
            {
                rows.Add(Reject(record.Line, rawMac, MacProblem(rawMac)));
                continue;
            }
            if (seen.TryGetValue(mac, out var firstLine))
            {
                rows.Add(Reject(record.Line, mac, $"Duplicate MAC: already given on line {firstLine}."));
                continue;
            }
            string? tooLong = null;
            var values = new Dictionary<string, string>(variables.Count, StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < variables.Count; i++)
            {
                var value = record.Fields[i + 1];
                if (value.Length > MaxValueLength) { tooLong = variables[i]; break; }
                values[variables[i]] = value;
            }
            if (tooLong is not null)
            {
                rows.Add(Reject(record.Line, mac, $"The value of '{tooLong}' is longer than {MaxValueLength} characters."));
                continue;
            }
            seen[mac] = record.Line;
            accepted.Add(new CsvDeviceVariables(mac, values));
            rows.Add(new CsvRowReport(record.Line, mac, CsvRowReport.Accepted, null));
        }
        return new CsvImportResult(null, variables, accepted, rows);
    }

    /// <summary>
    /// Writes devices' variables: header <c>mac</c> then every variable name any device has,
    /// sorted so two exports of the same data are byte-identical. Missing values are empty fields.
    /// </summary>
    public static string Export(IEnumerable<CsvDeviceVariables> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var list = devices.OrderBy(d => d.Mac, StringComparer.Ordinal).ToList();
        var names = list.SelectMany(d => d.Variables.Keys)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.OrdinalIgnoreCase)
            .ToList();
        var sb = new StringBuilder();
        sb.Append("mac");
        foreach (var name in names) { sb.Append(','); AppendField(sb, name); }
        sb.Append("\r\n");
        foreach (var device in list)
        {
            AppendField(sb, device.Mac);
            var lookup = new Dictionary<string, string>(device.Variables, StringComparer.OrdinalIgnoreCase);
            foreach (var name in names)
            {
                sb.Append(',');
                if (lookup.TryGetValue(name, out var value)) AppendField(sb, value);
            }
            sb.Append("\r\n");
        }
        return sb.ToString();
    }

    /// <summary>Appends one field, quoted when it holds a comma, quote, CR or LF or starts/ends with a space (RFC 4180 §2.6–2.7).</summary>
    public static void AppendField(StringBuilder sb, string value)
    {
        var needsQuotes = value.AsSpan().IndexOfAny(",\"\r\n") >= 0
            || (value.Length > 0 && (value[0] == ' ' || value[^1] == ' '));
        if (!needsQuotes) { sb.Append(value); return; }
        sb.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }

    private static string? CheckHeader(IReadOnlyList<string> fields, out List<string> variables)
    {
        variables = [];
        if (fields.Count == 0 || !fields[0].Trim().Equals("mac", StringComparison.OrdinalIgnoreCase))
            return $"The first column must be 'mac', not '{(fields.Count == 0 ? "" : fields[0])}'.";
        if (fields.Count - 1 > MaxVariables) return $"Too many variables: {fields.Count - 1} (at most {MaxVariables}).";
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 1; i < fields.Count; i++)
        {
            var name = fields[i].Trim();
            if (name.Length == 0) return $"Column {i + 1} has an empty variable name.";
            if (!SettingsTemplateRenderer.IsName(name))
                return $"Column {i + 1}: '{name}' is not a variable name (letters, digits, '_', '-', '.', starting with a letter or '_').";
            if (name.Equals("mac", StringComparison.OrdinalIgnoreCase))
                return $"Column {i + 1}: 'mac' is the phone's own address and cannot be a variable.";
            if (!names.Add(name)) return $"Column {i + 1}: variable '{name}' appears twice.";
            variables.Add(name);
        }
        return null;
    }

    private static string MacProblem(string raw)
    {
        var hex = 0;
        foreach (var c in raw)
        {
            if (char.IsAsciiHexDigit(c)) hex++;
            else if (c is not (':' or '-' or '.')) return $"'{raw}' is not a MAC address: '{c}' is neither a hex digit nor a separator.";
        }
        if (hex != 12) return $"'{raw}' is not a MAC address: {hex} hex digits, expected 12.";
        if (raw.Trim(':', '-', '.').All(c => c == '0' || !char.IsAsciiHexDigit(c))) return $"'{raw}' is the all-zero MAC, which no phone has.";
        if (raw.All(c => c is 'f' or 'F' || !char.IsAsciiHexDigit(c))) return $"'{raw}' is the broadcast MAC, which no phone has.";
        return $"'{raw}' is not a MAC address: separators must be one kind, in groups of 2, 4 or 6 digits.";
    }

    private static CsvRowReport Reject(int line, string mac, string error) => new(line, mac, CsvRowReport.Rejected, error);

    private static CsvImportResult HeaderFailure(string error) => new(error, [], [], []);

    private sealed record CsvRecord(int Line, List<string> Fields, string? Error)
    {
        public bool IsBlank => Error is null && Fields.Count == 1 && Fields[0].Length == 0;
    }

    /// <summary>RFC 4180 record reader that tracks physical lines and survives broken quoting.</summary>
    private sealed class RecordReader(string text)
    {
        private int _pos;
        private int _line = 1;

        public CsvRecord? Next()
        {
            if (_pos >= text.Length) return null;
            var startLine = _line;
            var fields = new List<string>();
            var field = new StringBuilder();
            string? error = null;
            var atFieldStart = true;
            while (true)
            {
                if (_pos >= text.Length) { fields.Add(field.ToString()); break; }
                var c = text[_pos];
                if (atFieldStart && c == '"')
                {
                    _pos++;
                    var closed = false;
                    while (_pos < text.Length)
                    {
                        var q = text[_pos++];
                        if (q == '"')
                        {
                            if (_pos < text.Length && text[_pos] == '"') { field.Append('"'); _pos++; continue; }
                            closed = true;
                            break;
                        }
                        if (q == '\n') _line++;
                        else if (q == '\r' && !(_pos < text.Length && text[_pos] == '\n')) _line++;
                        field.Append(q);
                    }
                    if (!closed)
                    {
                        error = "A quoted field is never closed (missing '\"').";
                        fields.Add(field.ToString());
                        break;
                    }
                    atFieldStart = false;
                    // After the closing quote only a separator or the end of the record may follow.
                    if (_pos < text.Length && text[_pos] is not (',' or '\r' or '\n'))
                    {
                        error ??= $"Text after a closing quote in field {fields.Count + 1}.";
                        while (_pos < text.Length && text[_pos] is not (',' or '\r' or '\n')) _pos++;
                    }
                    continue;
                }
                if (c == ',')
                {
                    fields.Add(field.ToString());
                    field.Clear();
                    atFieldStart = true;
                    _pos++;
                    continue;
                }
                if (c is '\r' or '\n')
                {
                    _pos++;
                    if (c == '\r' && _pos < text.Length && text[_pos] == '\n') _pos++;
                    _line++;
                    fields.Add(field.ToString());
                    break;
                }
                if (c == '"' && error is null) error = $"A quote inside unquoted field {fields.Count + 1}; quote the whole field and double the quote.";
                field.Append(c);
                atFieldStart = false;
                _pos++;
            }
            return new CsvRecord(startLine, fields, error);
        }
    }
}
