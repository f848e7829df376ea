using System.Text;
using SnomActors.Sip.Headers;

namespace SnomActors.Sip.Messages;

/// <summary>
/// An immutable, validated SIP message (request or response). Every message the parser returns
/// has a well-formed Via list, From, To, Call-ID and CSeq; optional headers the PnP core relies on
/// (Contact, Event, Expires, Max-Forwards) are typed too when present.
/// </summary>
public abstract class SipMessage
{
    private protected SipMessage(MessageParts parts)
    {
        Headers = parts.Headers;
        Body = parts.Body;
        Vias = parts.Vias;
        From = parts.From;
        To = parts.To;
        CallId = parts.CallId;
        CSeq = parts.CSeq;
        Contacts = parts.Contacts;
        Event = parts.Event;
        Expires = parts.Expires;
        MaxForwards = parts.MaxForwards;
    }

    /// <summary>All header rows in received order, names canonical, values unfolded.</summary>
    public IReadOnlyList<SipHeader> Headers { get; }

    /// <summary>The body: exactly Content-Length octets (extra datagram octets are discarded, RFC 3261 §18.3).</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Every via-parm in order (rows and comma lists flattened); never empty.</summary>
    public IReadOnlyList<ViaHeader> Vias { get; }

    public ViaHeader TopVia => Vias[0];
    public NameAddress From { get; }
    public NameAddress To { get; }
    public string CallId { get; }
    public CSeqHeader CSeq { get; }

    /// <summary>Contact values (empty when absent).</summary>
    public IReadOnlyList<NameAddress> Contacts { get; }

    public NameAddress? Contact => Contacts.Count > 0 ? Contacts[0] : null;
    public EventHeader? Event { get; }
    public uint? Expires { get; }
    /// <summary>Max-Forwards, or null when absent (the snom PnP SUBSCRIBE has none).</summary>
    public int? MaxForwards { get; }

    public string? ContentType => GetFirst(HeaderNames.ContentType);
    public string? UserAgent => GetFirst(HeaderNames.UserAgent) ?? GetFirst(HeaderNames.Server);

    public bool IsRequest => this is SipRequest;

    /// <summary>The first value of a header (canonical or compact name), or null.</summary>
    public string? GetFirst(string name)
    {
        var canonical = HeaderNames.Canonicalize(name);
        foreach (var h in Headers)
            if (ReferenceEquals(h.Name, canonical) || string.Equals(h.Name, canonical, StringComparison.OrdinalIgnoreCase))
                return h.Value;
        return null;
    }

    /// <summary>
    /// All elements of a list header across rows and commas, e.g. <c>Accept</c>, <c>Require</c>,
    /// <c>Record-Route</c> (RFC 3261 §7.3.1).
    /// </summary>
    public IReadOnlyList<string> GetList(string name)
    {
        var canonical = HeaderNames.Canonicalize(name);
        List<string>? result = null;
        foreach (var h in Headers)
        {
            if (!string.Equals(h.Name, canonical, StringComparison.OrdinalIgnoreCase)) continue;
            result ??= [];
            SipSyntax.TrySplitList(h.Value, result);
        }
        return result is null ? [] : result;
    }

    /// <summary>Writes the start line.</summary>
    private protected abstract void AppendStartLine(StringBuilder sb);

    /// <summary>
    /// Serialises in canonical form: long header names, one row per received row, CRLF line ends,
    /// Content-Length set to the real body length in octets.
    /// </summary>
    public byte[] ToBytes()
    {
        var sb = new StringBuilder(512);
        AppendStartLine(sb);
        sb.Append("\r\n");
        var wroteLength = false;
        foreach (var h in Headers)
        {
            if (ReferenceEquals(h.Name, HeaderNames.ContentLength))
            {
                if (wroteLength) continue;
                sb.Append(HeaderNames.ContentLength).Append(": ").Append(Body.Length).Append("\r\n");
                wroteLength = true;
                continue;
            }
            sb.Append(h.Name).Append(": ").Append(h.Value).Append("\r\n");
        }
        if (!wroteLength) sb.Append(HeaderNames.ContentLength).Append(": ").Append(Body.Length).Append("\r\n");
        sb.Append("\r\n");
        var head = Encoding.UTF8.GetByteCount(sb.ToString());
        var bytes = new byte[head + Body.Length];
        Encoding.UTF8.GetBytes(sb.ToString(), bytes);
        Body.Span.CopyTo(bytes.AsSpan(head));
        return bytes;
    }

    public override string ToString() => Encoding.UTF8.GetString(ToBytes());
}

/// <summary>The parsed pieces a message is made of; built only by the parser.</summary>
internal sealed class MessageParts
{
    public required IReadOnlyList<SipHeader> Headers { get; init; }
    public required ReadOnlyMemory<byte> Body { get; init; }
    public required IReadOnlyList<ViaHeader> Vias { get; init; }
    public required NameAddress From { get; init; }
    public required NameAddress To { get; init; }
    public required string CallId { get; init; }
    public required CSeqHeader CSeq { get; init; }
    public required IReadOnlyList<NameAddress> Contacts { get; init; }
    public EventHeader? Event { get; init; }
    public uint? Expires { get; init; }
    public int? MaxForwards { get; init; }
}
