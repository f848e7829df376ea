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
    public string SentBy => _sentBy ??= Port is null ? Host : string.Concat(Host, ":", Port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private string? _sentBy;

    public override string ToString() => Raw;

    public static bool TryParse(string raw, out ViaHeader via, out string error)
    {
        via = null!;
        // One pass over the parameters: they are validated while they are built.
        if (!TryScan(raw, out var scan, out error, validateParameters: false)) return false;
        var s = raw.AsSpan();
        if (!HeaderParameters.TryParse(s[scan.ParamsStart..], out var parameters, out var consumed) || scan.ParamsStart + consumed != s.Length)
        {
            error = "Via parameters are malformed";
            return false;
        }
        var transport = s.Slice(scan.TransportStart, scan.TransportLength);
        var transportName = transport.Equals("UDP", StringComparison.OrdinalIgnoreCase) ? "UDP"
            : transport.Equals("TCP", StringComparison.OrdinalIgnoreCase) ? "TCP"
            : transport.ToString().ToUpperInvariant();
        via = new ViaHeader(raw, "SIP/2.0", transportName, s.Slice(scan.HostStart, scan.HostLength).ToString(),
            scan.Port < 0 ? null : scan.Port, parameters);
        return true;
    }

    /// <summary>Where the parts of a via-parm are, as found by <see cref="TryScan"/>.</summary>
    internal readonly record struct Scan(int TransportStart, int TransportLength, int HostStart, int HostLength, int Port, int ParamsStart);

    /// <summary>Validates one via-parm without allocating; <see cref="TryParse"/> builds from the result.</summary>
    internal static bool TryScan(ReadOnlySpan<char> s, out Scan scan, out string error, bool validateParameters = true)
    {
        scan = default;
        error = string.Empty;
        var i = 0;
        if (!ReadToken(s, ref i, out var nameStart, out var nameLength)) { error = "Via protocol name missing"; return false; }
        if (!ReadSlash(s, ref i) || !ReadToken(s, ref i, out var versionStart, out var versionLength)) { error = "Via protocol version missing"; return false; }
        if (!ReadSlash(s, ref i) || !ReadToken(s, ref i, out var transportStart, out var transportLength)) { error = "Via transport missing"; return false; }
        if (!s.Slice(nameStart, nameLength).Equals("SIP", StringComparison.OrdinalIgnoreCase) || !s.Slice(versionStart, versionLength).SequenceEqual("2.0"))
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
        var hostStart = i;
        i = hostEnd;
        while (i < s.Length && SipSyntax.IsWhitespace(s[i])) i++;
        var port = -1;
        if (i < s.Length && s[i] == ':')
        {
            i++;
            while (i < s.Length && SipSyntax.IsWhitespace(s[i])) i++;
            var portStart = i;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            if (!SipSyntax.TryParseUInt32(s[portStart..i], out var p) || p > 65535) { error = "Via port is not a number in 0-65535"; return false; }
            port = (int)p;
        }
        List<HeaderParameter>? none = null;
        if (validateParameters && (!HeaderParameters.TryScan(s[i..], out var consumed, ref none, build: false) || i + consumed != s.Length))
        {
            error = "Via parameters are malformed";
            return false;
        }
        // maddr redirects our responses (RFC 3261 §18.2.2): it must be a real host, not "0x7f.1".
        if (s[i..].Contains("maddr", StringComparison.OrdinalIgnoreCase))
        {
            List<HeaderParameter>? parameters = null;
            if (HeaderParameters.TryScan(s[i..], out _, ref parameters, build: true) && parameters is not null)
                foreach (var p in parameters)
                    if (p.Name.Equals("maddr", StringComparison.OrdinalIgnoreCase) && (p.Value is null || !SipSyntax.IsHost(p.Value)))
                    {
                        error = "Via maddr is not a host";
                        return false;
                    }
        }
        scan = new Scan(transportStart, transportLength, hostStart, hostEnd - hostStart, port, i);
        return true;
    }

    private static bool ReadToken(ReadOnlySpan<char> s, ref int i, out int start, out int length)
    {
        while (i < s.Length && SipSyntax.IsWhitespace(s[i])) i++;
        start = i;
        while (i < s.Length && SipSyntax.IsTokenChar(s[i])) i++;
        length = i - start;
        return length > 0;
    }

    private static bool ReadSlash(ReadOnlySpan<char> s, ref int i)
    {
        while (i < s.Length && SipSyntax.IsWhitespace(s[i])) i++;
        if (i >= s.Length || s[i] != '/') return false;
        i++;
        return true;
    }
}
