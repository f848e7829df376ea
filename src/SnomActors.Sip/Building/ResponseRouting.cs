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
        if (topVia.MAddr is { } maddr && IPAddress.TryParse(maddr, out var maddrAddress))
            return new IPEndPoint(maddrAddress, sentByPort);
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
        var sourceIp = source.Address.ToString();
        var needsReceived = topVia.HasRPort || !string.Equals(topVia.Host.Trim('[', ']'), sourceIp, StringComparison.OrdinalIgnoreCase);
        var raw = topVia.Raw;
        if (topVia.HasRPort && topVia.Parameters["rport"] is null)
        {
            var idx = FindFlag(raw, "rport");
            if (idx >= 0) raw = string.Concat(raw.AsSpan(0, idx + 6), "=", source.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), raw.AsSpan(idx + 6));
        }
        if (needsReceived && topVia.Received is null) raw = string.Concat(raw, ";received=", sourceIp);
        return raw;
    }

    private static int FindFlag(string raw, string name)
    {
        var search = 0;
        while (true)
        {
            var idx = raw.IndexOf(";" + name, search, StringComparison.OrdinalIgnoreCase);
            if (idx < 0) return -1;
            var after = idx + 1 + name.Length;
            if (after == raw.Length || raw[after] is ';' or ' ' or '\t' or ',') return idx;
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
            return new NotifyTarget(contact.Uri.Raw, destination, UsedSourceFallback: false,
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
