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
        error = string.Empty;
        var s = raw.AsSpan().Trim(" \t");
        if (s.IsEmpty) { error = "empty value"; return false; }
        if (s is "*") { error = "wildcard '*' is only meaningful in REGISTER"; return false; }

        string? display = null;
        string uriText;
        ReadOnlySpan<char> rest;
        var i = 0;
        if (s[0] == '"')
        {
            var end = SipSyntax.SkipQuoted(s, 0);
            if (end < 0) { error = "display name quote is not closed"; return false; }
            display = SipSyntax.Unquote(s[..end]);
            i = end;
            while (i < s.Length && SipSyntax.IsWhitespace(s[i])) i++;
            if (i >= s.Length || s[i] != '<') { error = "quoted display name must be followed by <URI>"; return false; }
        }
        var lt = s[i..].IndexOf('<');
        if (lt >= 0)
        {
            lt += i;
            if (display is null)
            {
                var name = s[..lt].Trim(" \t");
                if (!name.IsEmpty)
                {
                    // Unquoted display name: *(token LWS) (RFC 3261 §25.1; RFC 4475 baddn).
                    foreach (var c in name)
                        if (!SipSyntax.IsTokenChar(c) && !SipSyntax.IsWhitespace(c)) { error = "display name has characters that need quoting"; return false; }
                    display = name.ToString();
                }
            }
            var gt = s[lt..].IndexOf('>');
            if (gt < 0) { error = "'<' without '>'"; return false; }
            gt += lt;
            uriText = s[(lt + 1)..gt].ToString();
            rest = s[(gt + 1)..];
        }
        else
        {
            // addr-spec form: parameters after ';' belong to the header, not the URI (RFC 3261 §20).
            var semi = s.IndexOf(';');
            uriText = (semi < 0 ? s : s[..semi]).ToString();
            rest = semi < 0 ? [] : s[semi..];
            if (uriText.AsSpan().IndexOfAny(" \t") >= 0) { error = "URI contains whitespace"; return false; }
        }
        if (!SipUri.TryParse(uriText, out var uri, out var uriError)) { error = uriError; return false; }
        if (!HeaderParameters.TryParse(rest, out var parameters, out var consumed) || consumed != rest.Length)
        {
            error = "header parameters are malformed";
            return false;
        }
        value = new NameAddress(raw, display, uri, parameters);
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
