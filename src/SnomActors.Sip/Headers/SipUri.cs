using System.Net;
using System.Text;

namespace SnomActors.Sip.Headers;

/// <summary>
/// A URI as it appears in a SIP message. For <c>sip:</c>/<c>sips:</c> the parts of RFC 3261 §19.1
/// are broken out; other schemes (<c>tel:</c>, <c>http:</c>) keep only <see cref="Scheme"/> and <see cref="Raw"/>.
/// </summary>
public sealed class SipUri
{
    private SipUri(string raw, string scheme, string? user, string host, int? port, HeaderParameters parameters, string? headers)
    {
        Raw = raw; Scheme = scheme; User = user; Host = host; Port = port; Parameters = parameters; Headers = headers;
    }

    /// <summary>The URI text exactly as received.</summary>
    public string Raw { get; }

    /// <summary>Lower-cased scheme (<c>sip</c>, <c>sips</c>, <c>tel</c> …).</summary>
    public string Scheme { get; }

    /// <summary>The user part still %-escaped (null when absent).</summary>
    public string? User { get; }

    /// <summary>Host (IPv6 references keep their brackets); empty for non-SIP schemes.</summary>
    public string Host { get; }

    public int? Port { get; }

    public HeaderParameters Parameters { get; }

    /// <summary>The <c>?headers</c> part without the '?', or null.</summary>
    public string? Headers { get; }

    public bool IsSip => Scheme is "sip" or "sips";

    /// <summary>The user part with %-escapes decoded (RFC 3261 §19.1.2), e.g. <c>MAC:000413...</c>.</summary>
    public string? UnescapedUser => User is null ? null : Unescape(User);

    /// <summary>The host as an IP address when it is a literal, else null.</summary>
    public IPAddress? HostAddress =>
        IPAddress.TryParse(Host.AsSpan().Trim("[]"), out var address) ? address : null;

    public override string ToString() => Raw;

    /// <summary>Parses a URI; false with a reason for anything that is not a well-formed absolute URI.</summary>
    public static bool TryParse(string raw, out SipUri uri, out string error)
    {
        uri = null!;
        error = string.Empty;
        var s = raw.AsSpan();
        var colon = s.IndexOf(':');
        if (colon <= 0) { error = "URI has no scheme"; return false; }
        var schemeSpan = s[..colon];
        if (!char.IsAsciiLetter(schemeSpan[0])) { error = "URI scheme must start with a letter"; return false; }
        foreach (var c in schemeSpan)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.')) { error = "URI scheme has an invalid character"; return false; }
        foreach (var c in s)
            if (c <= ' ' || c is '<' or '>' or '"' || c == 0x7f) { error = "URI contains whitespace or a delimiter"; return false; }
        var scheme = schemeSpan.ToString().ToLowerInvariant();
        if (scheme is not ("sip" or "sips"))
        {
            if (colon == s.Length - 1) { error = "URI has nothing after its scheme"; return false; }
            uri = new SipUri(raw, scheme, null, string.Empty, null, HeaderParameters.Empty, null);
            return true;
        }

        var rest = s[(colon + 1)..];
        string? user = null;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            var userInfo = rest[..at];
            if (userInfo.IsEmpty) { error = "URI has an empty user part"; return false; }
            if (!IsWellEscaped(userInfo)) { error = "URI user part has a malformed %-escape"; return false; }
            user = userInfo.ToString();
            rest = rest[(at + 1)..];
        }

        // hostport
        int hostEnd;
        if (rest.Length > 0 && rest[0] == '[')
        {
            hostEnd = rest.IndexOf(']');
            if (hostEnd < 0) { error = "URI IPv6 reference is not closed"; return false; }
            hostEnd++;
        }
        else
        {
            hostEnd = 0;
            while (hostEnd < rest.Length && (char.IsAsciiLetterOrDigit(rest[hostEnd]) || rest[hostEnd] is '.' or '-' or '_')) hostEnd++;
        }
        if (hostEnd == 0) { error = "URI has no host"; return false; }
        var host = rest[..hostEnd].ToString();
        rest = rest[hostEnd..];
        int? port = null;
        if (rest.Length > 0 && rest[0] == ':')
        {
            var portEnd = 1;
            while (portEnd < rest.Length && char.IsAsciiDigit(rest[portEnd])) portEnd++;
            if (!SipSyntax.TryParseUInt32(rest[1..portEnd], out var p) || p > 65535) { error = "URI port is not a number in 0-65535"; return false; }
            port = (int)p;
            rest = rest[portEnd..];
        }
        if (!HeaderParameters.TryParse(rest, out var parameters, out var consumed, '?'))
        {
            error = "URI parameters are malformed";
            return false;
        }
        rest = rest[consumed..];
        string? headers = null;
        if (rest.Length > 0)
        {
            if (rest[0] != '?') { error = "URI has unexpected characters after the host"; return false; }
            headers = rest[1..].ToString();
        }
        uri = new SipUri(raw, scheme, user, host, port, parameters, headers);
        return true;
    }

    private static bool IsWellEscaped(ReadOnlySpan<char> s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '%') continue;
            if (i + 2 >= s.Length || !Uri.IsHexDigit(s[i + 1]) || !Uri.IsHexDigit(s[i + 2])) return false;
            i += 2;
        }
        return true;
    }

    /// <summary>Decodes %HH escapes as UTF-8 octets; malformed escapes are left as they are.</summary>
    public static string Unescape(string s)
    {
        if (s.IndexOf('%') < 0) return s;
        var bytes = new List<byte>(s.Length);
        Span<byte> buffer = stackalloc byte[4];
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '%' && i + 2 < s.Length && Uri.IsHexDigit(s[i + 1]) && Uri.IsHexDigit(s[i + 2]))
            {
                bytes.Add((byte)Convert.ToInt32(s.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                var n = Encoding.UTF8.GetBytes(s.AsSpan(i, 1), buffer);
                for (var k = 0; k < n; k++) bytes.Add(buffer[k]);
            }
        }
        return Encoding.UTF8.GetString([.. bytes]);
    }
}
