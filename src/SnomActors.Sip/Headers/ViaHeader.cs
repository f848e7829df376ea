namespace SnomActors.Sip.Headers;

/// <summary>
/// One via-parm (RFC 3261 §20.42): <c>SIP/2.0/UDP host:port;branch=…;rport;received=…;maddr=…</c>.
/// LWS around the slashes is accepted (RFC 4475 <c>wsinv</c>); unknown transports parse.
/// </summary>
public sealed class ViaHeader
{
    /// <summary>RFC 3261 §8.1.1.7: branches of RFC 3261 senders start with this cookie.</summary>
    public const string MagicCookie = "z9hG4bK";

    private ViaHeader(string raw, string protocol, string transport, string host, int? port, HeaderParameters parameters)
    {
        Raw = raw; Protocol = protocol; Transport = transport; Host = host; Port = port; Parameters = parameters;
    }

    public string Raw { get; }
    /// <summary><c>SIP/2.0</c>.</summary>
    public string Protocol { get; }
    /// <summary>Upper-cased transport (<c>UDP</c>, <c>TCP</c>, <c>TLS</c> …).</summary>
    public string Transport { get; }
    /// <summary>sent-by host.</summary>
    public string Host { get; }
    /// <summary>sent-by port, null when absent (5060 implied).</summary>
    public int? Port { get; }
    public HeaderParameters Parameters { get; }

    public string? Branch => Parameters["branch"];
    public string? Received => Parameters["received"];
    public string? MAddr => Parameters["maddr"];
    public string? Ttl => Parameters["ttl"];

    /// <summary>True when the <c>rport</c> parameter is present (with or without a value, RFC 3581).</summary>
    public bool HasRPort => Parameters.Contains("rport");

    /// <summary>True when the branch carries the RFC 3261 magic cookie (and something after it).</summary>
    public bool HasRfc3261Branch =>
        Branch is { Length: > 7 } b && b.StartsWith(MagicCookie, StringComparison.Ordinal);

    /// <summary>sent-by as <c>host[:port]</c>, used in transaction keys.</summary>
    public string SentBy => Port is null ? Host : $"{Host}:{Port}";

    public override string ToString() => Raw;

    public static bool TryParse(string raw, out ViaHeader via, out string error)
    {
        via = null!;
        error = string.Empty;
        var s = raw.AsSpan();
        var i = 0;
        if (!ReadToken(s, ref i, out var name)) { error = "Via protocol name missing"; return false; }
        if (!ReadSlash(s, ref i) || !ReadToken(s, ref i, out var version)) { error = "Via protocol version missing"; return false; }
        if (!ReadSlash(s, ref i) || !ReadToken(s, ref i, out var transport)) { error = "Via transport missing"; return false; }
        if (!name.Equals("SIP", StringComparison.OrdinalIgnoreCase) || version is not "2.0")
        {
            error = "Via protocol is not SIP/2.0";
            return false;
        }
        var lwsStart = i;
        while (i < s.Length && SipSyntax.IsWhitespace(s[i])) i++;
        if (i == lwsStart) { error = "Via needs whitespace before sent-by"; return false; }
        int hostEnd;
        if (i < s.Length && s[i] == '[')
        {
            hostEnd = s[i..].IndexOf(']');
            if (hostEnd < 0) { error = "Via IPv6 reference not closed"; return false; }
            hostEnd += i + 1;
        }
        else
        {
            hostEnd = i;
            while (hostEnd < s.Length && (char.IsAsciiLetterOrDigit(s[hostEnd]) || s[hostEnd] is '.' or '-' or '_')) hostEnd++;
        }
        if (hostEnd == i) { error = "Via sent-by host missing"; return false; }
        var host = s[i..hostEnd].ToString();
        i = hostEnd;
        while (i < s.Length && SipSyntax.IsWhitespace(s[i])) i++;
        int? port = null;
        if (i < s.Length && s[i] == ':')
        {
            i++;
            while (i < s.Length && SipSyntax.IsWhitespace(s[i])) i++;
            var portStart = i;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            if (!SipSyntax.TryParseUInt32(s[portStart..i], out var p) || p > 65535) { error = "Via port is not a number in 0-65535"; return false; }
            port = (int)p;
        }
        if (!HeaderParameters.TryParse(s[i..], out var parameters, out var consumed) || i + consumed != s.Length)
        {
            error = "Via parameters are malformed";
            return false;
        }
        via = new ViaHeader(raw, "SIP/2.0", transport.ToUpperInvariant(), host, port, parameters);
        return true;
    }

    private static bool ReadToken(ReadOnlySpan<char> s, ref int i, out string token)
    {
        while (i < s.Length && SipSyntax.IsWhitespace(s[i])) i++;
        var start = i;
        while (i < s.Length && SipSyntax.IsTokenChar(s[i])) i++;
        token = s[start..i].ToString();
        return i > start;
    }

    private static bool ReadSlash(ReadOnlySpan<char> s, ref int i)
    {
        while (i < s.Length && SipSyntax.IsWhitespace(s[i])) i++;
        if (i >= s.Length || s[i] != '/') return false;
        i++;
        return true;
    }
}
