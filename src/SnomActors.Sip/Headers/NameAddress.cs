namespace SnomActors.Sip.Headers;

/// <summary>
/// A From / To / Contact / Record-Route value: optional display name, the URI, and the header
/// parameters (<c>tag</c>, <c>expires</c> …). <see cref="Raw"/> keeps the received text so that
/// responses copy it unchanged (RFC 3261 §8.2.6.2).
/// </summary>
public sealed class NameAddress
{
    private NameAddress(string raw, string? displayName, SipUri uri, HeaderParameters parameters)
    {
        Raw = raw; DisplayName = displayName; Uri = uri; Parameters = parameters;
    }

    public string Raw { get; }
    public string? DisplayName { get; }
    public SipUri Uri { get; }
    public HeaderParameters Parameters { get; }

    public string? Tag => Parameters["tag"];

    public override string ToString() => Raw;

    public static bool TryParse(string raw, out NameAddress value, out string error)
    {
        value = null!;
        if (!TryScan(raw, out var scan, out error, validateParameters: false)) return false;
        var s = raw.AsSpan();
        var paramsText = s[scan.ParamsStart..].TrimEnd(" \t");
        if (!HeaderParameters.TryParse(paramsText, out var parameters, out var consumed) || consumed != paramsText.Length)
        {
            error = "header parameters are malformed";
            return false;
        }
        var display = scan.DisplayStart < 0 ? null
            : scan.DisplayQuoted ? SipSyntax.Unquote(s.Slice(scan.DisplayStart, scan.DisplayLength))
            : s.Slice(scan.DisplayStart, scan.DisplayLength).ToString();
        var uriText = scan.UriStart == 0 && scan.UriLength == raw.Length ? raw : s.Slice(scan.UriStart, scan.UriLength).ToString();
        var uri = SipUri.Build(uriText, scan.Uri);
        value = new NameAddress(raw, display, uri, parameters);
        return true;
    }

    /// <summary>Where the parts of a name-addr / addr-spec are, as found by <see cref="TryScan"/>.</summary>
    internal readonly record struct Scan(int DisplayStart, int DisplayLength, bool DisplayQuoted, int UriStart, int UriLength, int ParamsStart, SipUri.Scan Uri);

    /// <summary>Validates without allocating (the parser's hot path); <see cref="TryParse"/> builds from the result.</summary>
    internal static bool TryScan(ReadOnlySpan<char> raw, out Scan scan, out string error, bool validateParameters = true)
    {
        scan = default;
        error = string.Empty;
        var leading = raw.Length - raw.TrimStart(" \t").Length;
        var s = raw.Trim(" \t");
        if (s.IsEmpty) { error = "empty value"; return false; }
        if (s is "*") { error = "wildcard '*' is only meaningful in REGISTER"; return false; }

        int displayStart = -1, displayLength = 0;
        var quoted = false;
        int uriStart, uriLength, paramsStart;
        var i = 0;
        if (s[0] == '"')
        {
            var end = SipSyntax.SkipQuoted(s, 0);
            if (end < 0) { error = "display name quote is not closed"; return false; }
            displayStart = 0;
            displayLength = end;
            quoted = true;
            i = end;
            while (i < s.Length && SipSyntax.IsWhitespace(s[i])) i++;
            if (i >= s.Length || s[i] != '<') { error = "quoted display name must be followed by <URI>"; return false; }
        }
        var lt = s[i..].IndexOf('<');
        if (lt >= 0)
        {
            lt += i;
            if (!quoted)
            {
                var name = s[..lt].Trim(" \t");
                if (!name.IsEmpty)
                {
                    // Unquoted display name: *(token LWS) (RFC 3261 §25.1; RFC 4475 baddn).
                    foreach (var c in name)
                        if (!SipSyntax.IsTokenChar(c) && !SipSyntax.IsWhitespace(c)) { error = "display name has characters that need quoting"; return false; }
                    displayStart = 0;
                    displayLength = name.Length;
                }
            }
            var gt = s[lt..].IndexOf('>');
            if (gt < 0) { error = "'<' without '>'"; return false; }
            gt += lt;
            uriStart = lt + 1;
            uriLength = gt - lt - 1;
            paramsStart = gt + 1;
        }
        else
        {
            // addr-spec form: parameters after ';' belong to the header, not the URI (RFC 3261 §20).
            // LWS may precede the ';' (RFC 4475 wsinv: "sip:vivekg@… ;   tag = 1918181833n").
            var semi = s.IndexOf(';');
            var uriEnd = semi < 0 ? s.Length : semi;
            while (uriEnd > 0 && SipSyntax.IsWhitespace(s[uriEnd - 1])) uriEnd--;
            if (s[..uriEnd].IndexOfAny(" \t") >= 0) { error = "URI contains whitespace"; return false; }
            uriStart = 0;
            uriLength = uriEnd;
            paramsStart = semi < 0 ? s.Length : semi;
        }
        if (!SipUri.TryScan(s.Slice(uriStart, uriLength), out var uriScan, out error)) return false;
        List<HeaderParameter>? none = null;
        if (validateParameters && (!HeaderParameters.TryScan(s[paramsStart..], out var consumed, ref none, build: false) || paramsStart + consumed != s.Length))
        {
            error = "header parameters are malformed";
            return false;
        }
        scan = new Scan(displayStart < 0 ? -1 : displayStart + leading, displayLength, quoted, uriStart + leading, uriLength, paramsStart + leading, uriScan);
        return true;
    }

    /// <summary>The raw value with any <c>tag</c> parameter removed, for reuse as the other side's URI.</summary>
    public string WithoutTag()
    {
        if (Tag is null) return Raw;
        var gt = Raw.LastIndexOf('>');
        var idx = Raw.IndexOf(";tag=", gt < 0 ? 0 : gt, StringComparison.OrdinalIgnoreCase);
        if (idx < 0) return Raw;
        var end = Raw.IndexOf(';', idx + 1);
        return end < 0 ? Raw[..idx] : Raw[..idx] + Raw[end..];
    }
}
