namespace SnomActors.Sip.Headers;

/// <summary>One <c>;name=value</c> parameter. <see cref="Value"/> is unquoted; null for a flag (<c>;lr</c>, <c>;rport</c>).</summary>
public readonly record struct HeaderParameter(string Name, string? Value, bool Quoted);

/// <summary>
/// The parameters of a header or URI, in order. Names compare case-insensitively (RFC 3261 §7.3.1);
/// values keep their case (quoted strings are case-sensitive).
/// </summary>
public sealed class HeaderParameters
{
    public static readonly HeaderParameters Empty = new([]);

    private readonly HeaderParameter[] _items;

    public HeaderParameters(HeaderParameter[] items) => _items = items;

    public IReadOnlyList<HeaderParameter> Items => _items;

    public int Count => _items.Length;

    public bool Contains(string name)
    {
        foreach (var p in _items) if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>The value of the first parameter named <paramref name="name"/>, or null (also for flags).</summary>
    public string? this[string name]
    {
        get
        {
            foreach (var p in _items)
                if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) return p.Value;
            return null;
        }
    }

    /// <summary>
    /// Parses <c>*( SEMI generic-param )</c> starting at a ';' (or at the end). Stops at
    /// <paramref name="stopAt"/> characters outside quotes (e.g. '?' for URI headers).
    /// </summary>
    internal static bool TryParse(ReadOnlySpan<char> s, out HeaderParameters parameters, out int consumed, char stopAt = '\0')
    {
        parameters = Empty;
        List<HeaderParameter>? list = null;
        if (!TryScan(s, out consumed, ref list, build: true, stopAt)) return false;
        if (list is not null) parameters = new HeaderParameters([.. list]);
        return true;
    }

    /// <summary>
    /// The grammar walk behind <see cref="TryParse"/>. With <paramref name="build"/> false it only
    /// validates and allocates nothing (the parser's hot path); with true it fills <paramref name="list"/>.
    /// </summary>
    internal static bool TryScan(ReadOnlySpan<char> s, out int consumed, ref List<HeaderParameter>? list, bool build, char stopAt = '\0')
    {
        consumed = 0;
        var i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && SipSyntax.IsWhitespace(s[i])) i++;
            if (i >= s.Length || s[i] == stopAt) break;
            if (s[i] != ';') return false;
            i++;
            while (i < s.Length && SipSyntax.IsWhitespace(s[i])) i++;
            var nameStart = i;
            while (i < s.Length && SipSyntax.IsTokenChar(s[i])) i++;
            if (i == nameStart) return false;
            var nameEnd = i;
            while (i < s.Length && SipSyntax.IsWhitespace(s[i])) i++;
            string? value = null;
            var quoted = false;
            if (i < s.Length && s[i] == '=')
            {
                i++;
                while (i < s.Length && SipSyntax.IsWhitespace(s[i])) i++;
                if (i < s.Length && s[i] == '"')
                {
                    var end = SipSyntax.SkipQuoted(s, i);
                    if (end < 0) return false;
                    if (build) value = SipSyntax.Unquote(s[i..end]);
                    quoted = true;
                    i = end;
                }
                else
                {
                    var valueStart = i;
                    // token / host / IPv6reference: stop at the next separator.
                    while (i < s.Length && s[i] is not (';' or ' ' or '\t' or ',') && s[i] != stopAt) i++;
                    if (i == valueStart) return false;
                    if (build) value = s[valueStart..i].ToString();
                }
            }
            if (build) (list ??= []).Add(new HeaderParameter(InternName(s[nameStart..nameEnd]), value, quoted));
        }
        consumed = i;
        return true;
    }

    /// <summary>Shared strings for the parameter names the PnP path reads on every message.</summary>
    private static string InternName(ReadOnlySpan<char> name) => name switch
    {
        "tag" => "tag",
        "branch" => "branch",
        "rport" => "rport",
        "received" => "received",
        "profile-type" => "profile-type",
        "vendor" => "vendor",
        "model" => "model",
        "version" => "version",
        "transport" => "transport",
        "lr" => "lr",
        _ => name.ToString(),
    };
}
