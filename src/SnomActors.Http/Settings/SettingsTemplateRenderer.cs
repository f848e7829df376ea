using System.Text;

namespace SnomActors.Http.Settings;

/// <summary>
/// What the registry knows about a phone, as far as a settings template may use it.
/// Each non-null field becomes a placeholder of the same name (<c>{mac}</c>, <c>{ip}</c> …).
/// </summary>
/// <param name="Mac">12 lower-case hex digits.</param>
/// <param name="Ip">The address the phone last came from (the download's source when known).</param>
/// <param name="Vendor">Normalised vendor key.</param>
/// <param name="Model">Model as the phone names it.</param>
/// <param name="Firmware">Firmware version.</param>
/// <param name="UserAgent">User-Agent verbatim.</param>
public sealed record DeviceTemplateFields(
    string Mac, string? Ip = null, string? Vendor = null, string? Model = null, string? Firmware = null, string? UserAgent = null);

/// <summary>
/// The placeholder values for one rendering: per-device variables overlaid by the device's own
/// fields, looked up case-insensitively (<c>{MAC}</c> and <c>{mac}</c> are the same).
/// </summary>
public sealed class TemplateValues
{
    private readonly Dictionary<string, string> _values;
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    /// <summary>Values taken as given (names compared case-insensitively).</summary>
    public TemplateValues(IEnumerable<KeyValuePair<string, string>> values)
    {
        _values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in values) _values[name] = value;
        _lookup = _values.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>
    /// Variables first, then the device's fields on top: the device record is what the phone
    /// really is, an imported <c>mac</c> column must not make one phone render another's file.
    /// </summary>
    public static TemplateValues For(DeviceTemplateFields device, IReadOnlyDictionary<string, string>? variables)
    {
        var all = new List<KeyValuePair<string, string>>((variables?.Count ?? 0) + 6);
        if (variables is not null) all.AddRange(variables);
        all.Add(new("mac", device.Mac));
        if (device.Ip is not null) all.Add(new("ip", device.Ip));
        if (device.Vendor is not null) all.Add(new("vendor", device.Vendor));
        if (device.Model is not null) all.Add(new("model", device.Model));
        if (device.Firmware is not null) all.Add(new("firmware", device.Firmware));
        if (device.UserAgent is not null) all.Add(new("user_agent", device.UserAgent));
        return new TemplateValues(all);
    }

    /// <summary>Number of distinct names.</summary>
    public int Count => _values.Count;

    /// <summary>Looks a placeholder name up without allocating a string for it.</summary>
    public bool TryGet(ReadOnlySpan<char> name, out string value)
    {
        if (_lookup.TryGetValue(name, out var found)) { value = found; return true; }
        value = string.Empty;
        return false;
    }
}

/// <summary>
/// Substitutes <c>{name}</c> placeholders in a settings document. Values are XML-escaped (the
/// documents are XML, and a display name like <c>R&amp;D &lt;3&gt;</c> must not break them).
/// Unknown placeholders stay verbatim: phones have their own <c>{...}</c> macros (snom's
/// <c>{mac}</c>-style URL macros, Yealink's <c>$MAC</c> cousins) that must reach the phone untouched.
/// </summary>
public static class SettingsTemplateRenderer
{
    /// <summary>Longest placeholder name considered; longer brace runs are left alone without a lookup.</summary>
    public const int MaxNameLength = 64;

    /// <summary>Renders <paramref name="template"/> with <paramref name="values"/>.</summary>
    public static string Render(string template, TemplateValues values)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        var text = template.AsSpan();
        var open = text.IndexOf('{');
        // Most general files have no placeholder at all: hand the same string back.
        if (open < 0) return template;

        var sb = new StringBuilder(template.Length + 64);
        var pos = 0;
        while (open >= 0)
        {
            var absoluteOpen = pos + open;
            var rest = text[(absoluteOpen + 1)..];
            var close = rest.IndexOfAny('}', '{');
            if (close > 0 && rest[close] == '}' && close <= MaxNameLength && IsName(rest[..close])
                && values.TryGet(rest[..close], out var value))
            {
                sb.Append(text[pos..absoluteOpen]);
                AppendEscaped(sb, value);
                pos = absoluteOpen + close + 2;
            }
            else
            {
                // Not ours: copy up to and including the brace and keep scanning after it.
                sb.Append(text[pos..(absoluteOpen + 1)]);
                pos = absoluteOpen + 1;
            }
            open = text[pos..].IndexOf('{');
        }
        sb.Append(text[pos..]);
        return sb.ToString();
    }

    /// <summary>Renders to UTF-8 bytes, what the download sends and hashes for its ETag.</summary>
    public static byte[] RenderUtf8(string template, TemplateValues values) =>
        Encoding.UTF8.GetBytes(Render(template, values));

    /// <summary>A placeholder name: letters, digits, <c>_</c>, <c>-</c>, <c>.</c>, starting with a letter or <c>_</c>.</summary>
    public static bool IsName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > MaxNameLength) return false;
        if (!(char.IsAsciiLetter(name[0]) || name[0] == '_')) return false;
        foreach (var c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')) return false;
        return true;
    }

    /// <summary>Appends <paramref name="value"/> with the five XML special characters escaped.</summary>
    public static void AppendEscaped(StringBuilder sb, string value)
    {
        var span = value.AsSpan();
        while (true)
        {
            var i = span.IndexOfAny(Special);
            if (i < 0) { sb.Append(span); return; }
            sb.Append(span[..i]);
            sb.Append(span[i] switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                _ => "&apos;",
            });
            span = span[(i + 1)..];
        }
    }

    /// <summary>XML-escapes <paramref name="value"/>.</summary>
    public static string Escape(string value)
    {
        if (value.AsSpan().IndexOfAny(Special) < 0) return value;
        var sb = new StringBuilder(value.Length + 16);
        AppendEscaped(sb, value);
        return sb.ToString();
    }

    private static readonly System.Buffers.SearchValues<char> Special = System.Buffers.SearchValues.Create("&<>\"'");
}
