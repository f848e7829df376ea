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
    /// way RFC 3261 §7.3.1 allows list headers to be combined on one row.
    /// </summary>
    /// <returns>false when a quote or angle bracket never closes.</returns>
    public static bool TrySplitList(string value, List<string> parts)
    {
        var span = value.AsSpan();
        var start = 0;
        var angle = false;
        for (var i = 0; i < span.Length; i++)
        {
            var c = span[i];
            if (c == '"')
            {
                var end = SkipQuoted(span, i);
                if (end < 0) return false;
                i = end - 1;
            }
            else if (c == '<') angle = true;
            else if (c == '>') angle = false;
            else if (c == ',' && !angle)
            {
                AddTrimmed(span[start..i]);
                start = i + 1;
            }
        }
        if (angle) return false;
        AddTrimmed(span[start..]);
        return true;

        void AddTrimmed(ReadOnlySpan<char> part)
        {
            part = part.Trim(" \t");
            if (!part.IsEmpty) parts.Add(part.ToString());
        }
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
