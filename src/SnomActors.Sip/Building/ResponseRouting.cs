using System.Net;
using SnomActors.Sip.Headers;
using SnomActors.Sip.Messages;

namespace SnomActors.Sip.Building;

/// <summary>
/// Where responses and NOTIFYs go (protocol.md §1.3): responses per the top Via (RFC 3261 §18.2.2
/// with RFC 3581 rport), NOTIFYs to the SUBSCRIBE's Contact with the packet source as fallback.
/// </summary>
public static class ResponseRouting
{
    public const int DefaultSipPort = 5060;

    /// <summary>RFC 3261 §18.2.2 + RFC 3581 §4 applied to the top Via of a request received from <paramref name="source"/>.</summary>
    public static IPEndPoint ResponseDestination(ViaHeader topVia, IPEndPoint source)
    {
        var sentByPort = topVia.Port ?? DefaultSipPort;
        if (topVia.MAddr is { } maddr && SipSyntax.TryParseIPLiteral(maddr, out var maddrAddress))
            return new IPEndPoint(maddrAddress!, sentByPort);
        if (topVia.HasRPort) return source;
        // "received" is the source address whenever it differs from sent-by, so the source IP is right either way.
        return new IPEndPoint(source.Address, sentByPort);
    }

    /// <summary>
    /// The top Via as it must appear in our response: <c>received</c> added when rport was asked for
    /// or sent-by differs from the source; a value-less <c>rport</c> filled with the source port.
    /// </summary>
    public static string TopViaForResponse(ViaHeader topVia, IPEndPoint source)
    {
        var sb = new System.Text.StringBuilder(topVia.Raw.Length + 40);
        AppendTopViaForResponse(sb, topVia, source);
        return sb.ToString();
    }

    /// <summary><see cref="TopViaForResponse"/> written straight into the response being rendered (no intermediate strings).</summary>
    internal static void AppendTopViaForResponse(System.Text.StringBuilder sb, ViaHeader topVia, IPEndPoint source)
    {
        Span<char> ip = stackalloc char[64];
        if (!source.Address.TryFormat(ip, out var ipLength)) ipLength = 0;
        var sourceIp = ip[..ipLength];
        var raw = topVia.Raw.AsSpan();
        var needsReceived = topVia.HasRPort || !topVia.Host.AsSpan().Trim("[]").Equals(sourceIp, StringComparison.OrdinalIgnoreCase);
        var after = topVia.HasRPort && topVia.Parameters["rport"] is null ? FlagEnd(raw, "rport") : -1;
        if (after >= 0) sb.Append(raw[..after]).Append('=').Append(source.Port).Append(raw[after..]);
        else sb.Append(raw);
        if (needsReceived && topVia.Received is null) sb.Append(";received=").Append(sourceIp);
    }

    /// <summary>The index just after the value-less parameter <paramref name="name"/> in a via-parm, or -1.</summary>
    private static int FlagEnd(ReadOnlySpan<char> raw, string name)
    {
        var search = 0;
        while (true)
        {
            var idx = raw[search..].IndexOf(name, StringComparison.OrdinalIgnoreCase);
            if (idx < 0) return -1;
            idx += search;
            var after = idx + name.Length;
            // A parameter name: preceded by ';' (possibly with LWS) and followed by a separator or the end.
            var before = idx - 1;
            while (before >= 0 && raw[before] is ' ' or '\t') before--;
            if (before >= 0 && raw[before] == ';' && (after == raw.Length || raw[after] is ';' or ' ' or '\t' or ','))
                return after;
            search = after;
        }
    }

    /// <summary>
    /// The NOTIFY's Request-URI and destination: the SUBSCRIBE's Contact when it is a sip/sips URI
    /// with an IP literal host (RFC 3263 for such a URI is just that address; no port means 5060),
    /// else <c>sip:&lt;source&gt;</c> sent to the packet source.
    /// </summary>
    public static NotifyTarget NotifyTargetFor(SipRequest subscribe, IPEndPoint source)
    {
        if (subscribe.Contact is { } contact && contact.Uri.IsSip && contact.Uri.HostAddress is { } address)
        {
            var port = contact.Uri.Port ?? DefaultSipPort;
            var destination = new IPEndPoint(address, port);
            // Headers (?…) are not allowed in a Request-URI (RFC 3261 §19.1.5): keep the URI without them.
            var raw = contact.Uri.Raw;
            var requestUri = contact.Uri.Headers is { } headers ? raw[..(raw.Length - headers.Length - 1)] : raw;
            return new NotifyTarget(requestUri, destination, UsedSourceFallback: false,
                DiffersFromSource: !destination.Equals(source));
        }
        var fallbackUri = source.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"sip:[{source.Address}]:{source.Port}"
            : $"sip:{source.Address}:{source.Port}";
        return new NotifyTarget(fallbackUri, source, UsedSourceFallback: true, DiffersFromSource: false);
    }
}

/// <summary>Where a NOTIFY goes and what its Request-URI is.</summary>
/// <param name="RequestUri">The Request-URI text.</param>
/// <param name="Destination">Transport destination.</param>
/// <param name="UsedSourceFallback">True when the Contact was absent or unusable.</param>
/// <param name="DiffersFromSource">True when Contact points elsewhere than the SUBSCRIBE's source (logged; spoofing check).</param>
public sealed record NotifyTarget(string RequestUri, IPEndPoint Destination, bool UsedSourceFallback, bool DiffersFromSource);
