using System.Text;
using SnomActors.Sip.Headers;

namespace SnomActors.Sip.Messages;

/// <summary>
/// An immutable, validated SIP message (request or response). Every message the parser returns
/// has a well-formed Via list, From, To, Call-ID and CSeq; optional headers the PnP core relies on
/// (Contact, Event, Expires, Max-Forwards) are typed too when present.
/// </summary>
/// <remarks>
/// The parser validates every typed header but keeps only the received octets and an index of the
/// header rows; strings and typed header objects are decoded on first access and cached (safe to
/// share between threads: concurrent first reads publish one instance). This keeps a parse at a few
/// hundred bytes of allocation — the boot-storm budget is under 1 KB per SUBSCRIBE.
/// </remarks>
public abstract class SipMessage
{
    private readonly byte[] _data;
    private readonly HeaderSlot[] _slots;
    private string?[]? _values;
    private readonly int _fromIndex;
    private readonly int _toIndex;
    private readonly int _callIdIndex;
    private readonly int _eventIndex;
    private IReadOnlyList<SipHeader>? _headers;
    private IReadOnlyList<ViaHeader>? _vias;
    private NameAddress? _from;
    private NameAddress? _to;
    private IReadOnlyList<NameAddress>? _contacts;
    private EventHeader? _event;

    private protected SipMessage(in MessageParts parts)
    {
        _data = parts.Data;
        _slots = parts.Slots;
        _values = parts.FoldedValues;
        _fromIndex = parts.FromIndex;
        _toIndex = parts.ToIndex;
        _callIdIndex = parts.CallIdIndex;
        _eventIndex = parts.EventIndex;
        Body = parts.Body;
        CSeq = parts.CSeq;
        Expires = parts.Expires;
        MaxForwards = parts.MaxForwards;
    }

    /// <summary>All header rows in received order, names canonical, values unfolded.</summary>
    public IReadOnlyList<SipHeader> Headers => _headers ?? Publish(ref _headers, BuildHeaders());

    /// <summary>The body: exactly Content-Length octets (extra datagram octets are discarded, RFC 3261 §18.3).</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Every via-parm in order (rows and comma lists flattened); never empty.</summary>
    public IReadOnlyList<ViaHeader> Vias => _vias ?? Publish(ref _vias, BuildVias());

    public ViaHeader TopVia => Vias[0];
    public NameAddress From => _from ?? Publish(ref _from, BuildNameAddress(_fromIndex));
    public NameAddress To => _to ?? Publish(ref _to, BuildNameAddress(_toIndex));
    public string CallId => ValueAt(_callIdIndex);
    public CSeqHeader CSeq { get; }

    /// <summary>Contact values (empty when absent, or when the only Contact is <c>*</c>).</summary>
    public IReadOnlyList<NameAddress> Contacts => _contacts ?? Publish(ref _contacts, BuildContacts());

    public NameAddress? Contact => Contacts.Count > 0 ? Contacts[0] : null;

    public EventHeader? Event => _eventIndex < 0 ? null : _event ?? Publish(ref _event, BuildEvent());

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
        for (var i = 0; i < _slots.Length; i++)
        {
            var slotName = _slots[i].Name;
            if (ReferenceEquals(slotName, canonical) || string.Equals(slotName, canonical, StringComparison.OrdinalIgnoreCase))
                return ValueAt(i);
        }
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
        for (var i = 0; i < _slots.Length; i++)
        {
            var slotName = _slots[i].Name;
            if (!ReferenceEquals(slotName, canonical) && !string.Equals(slotName, canonical, StringComparison.OrdinalIgnoreCase)) continue;
            result ??= [];
            SipSyntax.TrySplitList(ValueAt(i), result);
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
        var text = sb.ToString();
        var head = Encoding.UTF8.GetByteCount(text);
        var bytes = new byte[head + Body.Length];
        Encoding.UTF8.GetBytes(text, bytes);
        Body.Span.CopyTo(bytes.AsSpan(head));
        return bytes;
    }

    public override string ToString() => Encoding.UTF8.GetString(ToBytes());

    /// <summary>The received octets of a range of the message (start line and header section offsets).</summary>
    private protected ReadOnlySpan<byte> Octets(int start, int length) => _data.AsSpan(start, length);

    /// <summary>The decoded (UTF-8, unfolded) value of header row <paramref name="index"/>, cached.</summary>
    private string ValueAt(int index)
    {
        var values = _values ?? Publish(ref _values, new string?[_slots.Length]);
        var value = Volatile.Read(ref values[index]);
        if (value is not null) return value;
        var slot = _slots[index];
        value = slot.Length == 0 ? string.Empty : Encoding.UTF8.GetString(_data, slot.Start, slot.Length);
        return Interlocked.CompareExchange(ref values[index], value, null) ?? value;
    }

    /// <summary>
    /// The value as the parser validated it (one char per octet). Only used if the UTF-8 text of a
    /// validated value did not parse — impossible as the grammar is ASCII-only, but a getter must not throw.
    /// </summary>
    private string Latin1At(int index)
    {
        var slot = _slots[index];
        return _values?[index] is { } folded && IsFolded(index) ? folded : Encoding.Latin1.GetString(_data, slot.Start, slot.Length);
    }

    private bool IsFolded(int index) => _slots[index].Folded;

    private static T Publish<T>(ref T? field, T value) where T : class =>
        Interlocked.CompareExchange(ref field, value, null) ?? value;

    private SipHeader[] BuildHeaders()
    {
        var headers = new SipHeader[_slots.Length];
        for (var i = 0; i < headers.Length; i++) headers[i] = new SipHeader(_slots[i].Name, ValueAt(i));
        return headers;
    }

    private NameAddress BuildNameAddress(int index)
    {
        if (NameAddress.TryParse(ValueAt(index), out var value, out _)) return value;
        NameAddress.TryParse(Latin1At(index), out value, out _);
        return value;
    }

    private EventHeader BuildEvent()
    {
        if (EventHeader.TryParse(ValueAt(_eventIndex), out var value, out _)) return value;
        EventHeader.TryParse(Latin1At(_eventIndex), out value, out _);
        return value;
    }

    private ViaHeader[] BuildVias()
    {
        var vias = new List<ViaHeader>(2);
        var parts = new List<string>(2);
        for (var i = 0; i < _slots.Length; i++)
        {
            if (!ReferenceEquals(_slots[i].Name, HeaderNames.Via)) continue;
            parts.Clear();
            SipSyntax.TrySplitList(ValueAt(i), parts);
            foreach (var part in parts)
                if (ViaHeader.TryParse(part, out var via, out _)) vias.Add(via);
        }
        return [.. vias];
    }

    private NameAddress[] BuildContacts()
    {
        List<NameAddress>? contacts = null;
        List<string>? parts = null;
        for (var i = 0; i < _slots.Length; i++)
        {
            if (!ReferenceEquals(_slots[i].Name, HeaderNames.Contact)) continue;
            (parts ??= []).Clear();
            SipSyntax.TrySplitList(ValueAt(i), parts);
            foreach (var part in parts)
                if (part != "*" && NameAddress.TryParse(part, out var contact, out _)) (contacts ??= []).Add(contact);
        }
        return contacts is null ? [] : [.. contacts];
    }
}

/// <summary>
/// One header row in the received octets: canonical name and the trimmed value's range. Folded
/// rows (rare) have their unfolded text stored up front in the message's value cache.
/// </summary>
internal readonly struct HeaderSlot(string name, int start, int length, bool folded = false)
{
    // The fold flag rides in the sign bit so that a slot is 16 bytes (one per header row, every parse).
    private readonly int _lengthAndFlag = folded ? length | int.MinValue : length;

    public string Name { get; } = name;
    public int Start { get; } = start;
    public int Length => _lengthAndFlag & int.MaxValue;
    public bool Folded => _lengthAndFlag < 0;
}

/// <summary>The parsed pieces a message is made of; built only by the parser.</summary>
internal readonly struct MessageParts
{
    public required byte[] Data { get; init; }
    public required HeaderSlot[] Slots { get; init; }
    public string?[]? FoldedValues { get; init; }
    public required ReadOnlyMemory<byte> Body { get; init; }
    public required int FromIndex { get; init; }
    public required int ToIndex { get; init; }
    public required int CallIdIndex { get; init; }
    public required int EventIndex { get; init; }
    public required CSeqHeader CSeq { get; init; }
    public uint? Expires { get; init; }
    public int? MaxForwards { get; init; }
}
