namespace SnomActors.Sip.Headers;

/// <summary>Character classes and small scanners of the RFC 3261 §25.1 grammar.</summary>
public static class SipSyntax
{
    /// <summary>RFC 3261 <c>token</c> characters: alphanum and <c>-.!%*_+`'~</c>.</summary>
    public static bool IsTokenChar(char c) =>
        c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9'
            or '-' or '.' or '!' or '%' or '*' or '_' or '+' or '`' or '\'' or '~';

    public static bool IsToken(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (var c in s) if (!IsTokenChar(c)) return false;
        return true;
    }

    public static bool IsWhitespace(char c) => c is ' ' or '\t';

    /// <summary>
    /// Given <paramref name="s"/>[<paramref name="start"/>] == '"', returns the index just past the
    /// closing quote, honouring backslash escapes (quoted-pair), or -1 when the quote never closes
    /// (RFC 4475 <c>quotbal</c>).
    /// </summary>
    public static int SkipQuoted(ReadOnlySpan<char> s, int start)
    {
        for (var i = start + 1; i < s.Length; i++)
        {
            if (s[i] == '\\') { i++; continue; }
            if (s[i] == '"') return i + 1;
        }
        return -1;
    }

    /// <summary>The quoted-string for <paramref name="value"/>: quotes around it, '"' and '\\' escaped.</summary>
    public static string Quote(string value)
    {
        if (value.AsSpan().IndexOfAny('"', '\\') < 0) return string.Concat("\"", value, "\"");
        var sb = new System.Text.StringBuilder(value.Length + 4).Append('"');
        foreach (var c in value)
        {
            if (c is '"' or '\\') sb.Append('\\');
            sb.Append(c);
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Removes the quotes and quoted-pair escapes of a quoted-string.</summary>
    public static string Unquote(ReadOnlySpan<char> quoted)
    {
        if (quoted.Length < 2 || quoted[0] != '"' || quoted[^1] != '"') return quoted.ToString();
        var inner = quoted[1..^1];
        if (inner.IndexOf('\\') < 0) return inner.ToString();
        var chars = new char[inner.Length];
        var n = 0;
        for (var i = 0; i < inner.Length; i++)
        {
            if (inner[i] == '\\' && i + 1 < inner.Length) i++;
            chars[n++] = inner[i];
        }
        return new string(chars, 0, n);
    }

    /// <summary>
    /// Splits a header value on top-level commas (outside quoted strings and angle brackets), the
    /// way RFC 3261 §7.3.1 allows list headers to be combined on one row. Empty elements are skipped.
    /// </summary>
    /// <returns>false when a quote or angle bracket never closes.</returns>
    public static bool TrySplitList(string value, List<string> parts)
    {
        var span = value.AsSpan();
        var start = 0;
        while (true)
        {
            var end = ListElementEnd(span, start);
            if (end < 0) return false;
            var part = span[start..end].Trim(" \t");
            if (!part.IsEmpty) parts.Add(part.Length == value.Length ? value : part.ToString());
            if (end == span.Length) return true;
            start = end + 1;
        }
    }

    /// <summary>
    /// The index of the comma ending the list element that starts at <paramref name="start"/> (or the
    /// length of <paramref name="s"/>), skipping quoted strings and &lt;…&gt;; -1 when a quote or
    /// angle bracket never closes. Shared by <see cref="TrySplitList"/> and the allocation-free
    /// validation in the parser so that both always agree on element boundaries.
    /// </summary>
    internal static int ListElementEnd(ReadOnlySpan<char> s, int start)
    {
        var angle = false;
        for (var i = start; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '"')
            {
                var end = SkipQuoted(s, i);
                if (end < 0) return -1;
                i = end - 1;
            }
            else if (c == '<') angle = true;
            else if (c == '>') angle = false;
            else if (c == ',' && !angle) return i;
        }
        return angle ? -1 : s.Length;
    }

    /// <summary>
    /// An RFC 3261 host that is an address: <c>IPv4address</c> (exactly four decimal parts of 1-3
    /// digits, leading zeros read as decimal) or an <c>IPv6reference</c> in brackets. Unlike
    /// <see cref="System.Net.IPAddress.TryParse(string?, out System.Net.IPAddress?)"/> it never takes
    /// <c>10.1</c>, <c>0x7f.1</c> or octal <c>010.…</c> for an address, so a hostname-looking value
    /// can never redirect a response or NOTIFY somewhere unexpected.
    /// </summary>
    public static bool TryParseIPLiteral(ReadOnlySpan<char> host, out System.Net.IPAddress? address)
    {
        address = null;
        if (host.Length > 2 && host[0] == '[' && host[^1] == ']')
        {
            if (!System.Net.IPAddress.TryParse(host[1..^1], out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) return false;
            address = v6;
            return true;
        }
        Span<byte> bytes = stackalloc byte[4];
        var part = 0;
        var digits = 0;
        var value = 0;
        foreach (var c in host)
        {
            if (c == '.')
            {
                if (digits == 0 || part == 3) return false;
                bytes[part++] = (byte)value;
                digits = value = 0;
            }
            else if (c is >= '0' and <= '9' && digits < 3)
            {
                value = value * 10 + (c - '0');
                if (value > 255) return false;
                digits++;
            }
            else return false;
        }
        if (part != 3 || digits == 0) return false;
        bytes[3] = (byte)value;
        address = new System.Net.IPAddress(bytes);
        return true;
    }

    /// <summary>
    /// RFC 3261 <c>host</c>: an IP literal (<see cref="TryParseIPLiteral"/>) or a hostname whose last
    /// label starts with a letter (so <c>141.4</c> or <c>0x7f.1</c> are neither).
    /// </summary>
    public static bool IsHost(ReadOnlySpan<char> host)
    {
        if (TryParseIPLiteral(host, out _)) return true;
        if (host.IsEmpty) return false;
        if (host[^1] == '.') host = host[..^1];
        if (host.IsEmpty) return false;
        var lastDot = host.LastIndexOf('.');
        var top = host[(lastDot + 1)..];
        if (top.IsEmpty || !char.IsAsciiLetter(top[0])) return false;
        foreach (var c in host)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')) return false;
        return true;
    }

    /// <summary>Parses a non-negative decimal integer without overflow (RFC 4475 <c>scalar02</c>, <c>scalarlg</c>).</summary>
    public static bool TryParseUInt32(ReadOnlySpan<char> s, out uint value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 10) return false;
        ulong acc = 0;
        foreach (var c in s)
        {
            if (c is < '0' or > '9') return false;
            acc = acc * 10 + (uint)(c - '0');
        }
        if (acc > uint.MaxValue) return false;
        value = (uint)acc;
        return true;
    }

    /// <summary>Like <see cref="TryParseUInt32"/> but into an int (≤ 2^31-1).</summary>
    public static bool TryParseInt31(ReadOnlySpan<char> s, out int value)
    {
        value = 0;
        if (!TryParseUInt32(s, out var u) || u > int.MaxValue) return false;
        value = (int)u;
        return true;
    }
}
