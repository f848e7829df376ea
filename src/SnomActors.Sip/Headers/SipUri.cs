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
    public string? UnescapedUser => User is null ? null : _unescapedUser ??= Unescape(User);

    private string? _unescapedUser;

    /// <summary>The host as an IP address when it is a literal, else null.</summary>
    /// <remarks>Only RFC 3261 literals count (<see cref="SipSyntax.TryParseIPLiteral"/>): <c>141.4</c> is not 141.0.0.4.</remarks>
    public IPAddress? HostAddress => SipSyntax.TryParseIPLiteral(Host, out var address) ? address : null;

    public override string ToString() => Raw;

    /// <summary>Parses a URI; false with a reason for anything that is not a well-formed absolute URI.</summary>
    public static bool TryParse(string raw, out SipUri uri, out string error)
    {
        uri = null!;
        if (!TryScan(raw, out var scan, out error)) return false;
        uri = Build(raw, scan);
        return true;
    }

    /// <summary>Where the parts of a URI are, as found by <see cref="TryScan"/>.</summary>
    internal readonly record struct Scan(
        bool IsSip, int SchemeLength, int UserStart, int UserLength, int HostStart, int HostLength, int Port,
        int ParamsStart, int ParamsLength, int HeadersStart)
    {
        public bool HasHeaders => HeadersStart >= 0;
    }

    /// <summary>Validates a URI without allocating; <see cref="TryParse"/> builds from the result.</summary>
    internal static bool TryScan(ReadOnlySpan<char> s, out Scan scan, out string error)
    {
        scan = default;
        error = string.Empty;
        var colon = s.IndexOf(':');
        if (colon <= 0) { error = "URI has no scheme"; return false; }
        var schemeSpan = s[..colon];
        if (!char.IsAsciiLetter(schemeSpan[0])) { error = "URI scheme must start with a letter"; return false; }
        foreach (var c in schemeSpan)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.')) { error = "URI scheme has an invalid character"; return false; }
        foreach (var c in s)
            if (c <= ' ' || c is '<' or '>' or '"' || c == 0x7f) { error = "URI contains whitespace or a delimiter"; return false; }
        var isSip = schemeSpan.Equals("sip", StringComparison.OrdinalIgnoreCase) || schemeSpan.Equals("sips", StringComparison.OrdinalIgnoreCase);
        if (!isSip)
        {
            if (colon == s.Length - 1) { error = "URI has nothing after its scheme"; return false; }
            scan = new Scan(false, colon, -1, 0, 0, 0, -1, 0, 0, -1);
            return true;
        }

        var pos = colon + 1;
        var rest = s[pos..];
        int userStart = -1, userLength = 0;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            var userInfo = rest[..at];
            if (userInfo.IsEmpty) { error = "URI has an empty user part"; return false; }
            if (!IsWellEscaped(userInfo)) { error = "URI user part has a malformed %-escape"; return false; }
            userStart = pos;
            userLength = at;
            pos += at + 1;
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
        var hostStart = pos;
        pos += hostEnd;
        rest = rest[hostEnd..];
        var port = -1;
        if (rest.Length > 0 && rest[0] == ':')
        {
            var portEnd = 1;
            while (portEnd < rest.Length && char.IsAsciiDigit(rest[portEnd])) portEnd++;
            if (!SipSyntax.TryParseUInt32(rest[1..portEnd], out var p) || p > 65535) { error = "URI port is not a number in 0-65535"; return false; }
            port = (int)p;
            pos += portEnd;
            rest = rest[portEnd..];
        }
        List<HeaderParameter>? none = null;
        if (!HeaderParameters.TryScan(rest, out var consumed, ref none, build: false, '?'))
        {
            error = "URI parameters are malformed";
            return false;
        }
        var paramsStart = pos;
        pos += consumed;
        rest = rest[consumed..];
        var headersStart = -1;
        if (rest.Length > 0)
        {
            if (rest[0] != '?') { error = "URI has unexpected characters after the host"; return false; }
            headersStart = pos + 1;
        }
        scan = new Scan(true, colon, userStart, userLength, hostStart, hostEnd, port, paramsStart, consumed, headersStart);
        return true;
    }

    /// <summary>Builds from a successful <see cref="TryScan"/> of <paramref name="raw"/> (offsets relative to it).</summary>
    internal static SipUri Build(string raw, Scan scan)
    {
        var s = raw.AsSpan();
        var schemeSpan = s[..scan.SchemeLength];
        var scheme = schemeSpan.Equals("sip", StringComparison.OrdinalIgnoreCase) ? "sip"
            : schemeSpan.Equals("sips", StringComparison.OrdinalIgnoreCase) ? "sips"
            : schemeSpan.ToString().ToLowerInvariant();
        if (!scan.IsSip) return new SipUri(raw, scheme, null, string.Empty, null, HeaderParameters.Empty, null);
        var user = scan.UserStart < 0 ? null : s.Slice(scan.UserStart, scan.UserLength).ToString();
        var host = s.Slice(scan.HostStart, scan.HostLength).ToString();
        HeaderParameters.TryParse(s.Slice(scan.ParamsStart, scan.ParamsLength), out var parameters, out _, '?');
        var headers = scan.HasHeaders ? s[scan.HeadersStart..].ToString() : null;
        return new SipUri(raw, scheme, user, host, scan.Port < 0 ? null : scan.Port, parameters, headers);
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
        var max = Encoding.UTF8.GetMaxByteCount(s.Length);
        var rented = max <= 512 ? null : System.Buffers.ArrayPool<byte>.Shared.Rent(max);
        Span<byte> bytes = rented ?? stackalloc byte[512];
        try
        {
            var n = 0;
            for (var i = 0; i < s.Length; i++)
            {
                if (s[i] == '%' && i + 2 < s.Length && Uri.IsHexDigit(s[i + 1]) && Uri.IsHexDigit(s[i + 2]))
                {
                    bytes[n++] = (byte)((Uri.FromHex(s[i + 1]) << 4) | Uri.FromHex(s[i + 2]));
                    i += 2;
                }
                else
                {
                    // Copy the run up to the next '%' in one go (keeps surrogate pairs together).
                    var next = s.IndexOf('%', i + 1);
                    var run = s.AsSpan(i, (next < 0 ? s.Length : next) - i);
                    n += Encoding.UTF8.GetBytes(run, bytes[n..]);
                    i += run.Length - 1;
                }
            }
            return Encoding.UTF8.GetString(bytes[..n]);
        }
        finally
        {
            if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
