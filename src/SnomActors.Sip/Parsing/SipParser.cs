using System.Buffers;
using System.Text;
using SnomActors.Sip.Headers;
using SnomActors.Sip.Messages;

namespace SnomActors.Sip.Parsing;

/// <summary>
/// Parses one UDP datagram into a <see cref="SipMessage"/> or a typed <see cref="SipParseError"/>.
/// Framing is done on octets (Content-Length counts bytes, RFC 3261 §18.3). The header section is
/// scanned as one char per octet (the grammar is ASCII; UTF-8 only matters inside values) and every
/// header the SIP core needs is validated without allocating; the message keeps the octets and
/// decodes strings on first access. Never throws for any input.
/// </summary>
public static class SipParser
{
    private static long _defensiveCatches;

    /// <summary>
    /// How often the last-resort catch in <see cref="TryParse"/> turned an exception into a parse error.
    /// Always 0 unless the parser has a bug; tests assert it stays 0 over the PROTOS corpus and operators may export it.
    /// </summary>
    public static long DefensiveCatchCount => Interlocked.Read(ref _defensiveCatches);

    /// <summary>Parses <paramref name="datagram"/>; exactly one of message / error is non-null.</summary>
    public static bool TryParse(
        ReadOnlySpan<byte> datagram,
        out SipMessage? message,
        out SipParseError? error,
        SipParserLimits? limits = null)
    {
        limits ??= SipParserLimits.Default;
        message = null;
        try
        {
            error = Parse(datagram, limits, out message);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException or IndexOutOfRangeException or InvalidOperationException)
        {
            // Defence in depth: a parser bug must surface as a parse error, never take the socket down.
            Interlocked.Increment(ref _defensiveCatches);
            message = null;
            error = new SipParseError(SipParseErrorKind.MalformedHeader, $"unparseable message ({ex.GetType().Name})", null, false, []);
        }
        return message is not null;
    }

    private static SipParseError? Parse(ReadOnlySpan<byte> data, SipParserLimits limits, out SipMessage? message)
    {
        message = null;
        if (data.Length > limits.MaxDatagramBytes)
            return Recover(data, limits, SipParseErrorKind.TooLarge, $"message of {data.Length} octets exceeds {limits.MaxDatagramBytes}");

        // RFC 3261 §7.5: ignore CRLFs before the start line (also keep-alives).
        var start = 0;
        while (start < data.Length && data[start] is (byte)'\r' or (byte)'\n') start++;
        if (start == data.Length) return Error(SipParseErrorKind.Empty, "empty datagram");
        var section = data[start..];

        // Find the empty line that ends the header section (bare LF accepted leniently) and the longest line.
        int headerEnd = -1, bodyStart = -1, longestLine = 0, lineCount = 0;
        var lineStart = 0;
        while (true)
        {
            var nl = section[lineStart..].IndexOf((byte)'\n');
            if (nl < 0)
            {
                longestLine = Math.Max(longestLine, section.Length - lineStart);
                lineCount++;
                break;
            }
            var lineLength = nl > 0 && section[lineStart + nl - 1] == (byte)'\r' ? nl - 1 : nl;
            if (lineLength == 0)
            {
                headerEnd = lineStart;
                bodyStart = lineStart + nl + 1;
                break;
            }
            longestLine = Math.Max(longestLine, lineLength);
            lineCount++;
            lineStart += nl + 1;
        }
        var missingEmptyLine = headerEnd < 0;
        if (missingEmptyLine) headerEnd = bodyStart = section.Length;
        if (longestLine > limits.MaxLineLength)
            return Recover(data, limits, SipParseErrorKind.LineTooLong, $"a line of {longestLine} octets exceeds {limits.MaxLineLength}");

        var chars = ArrayPool<char>.Shared.Rent(Math.Max(headerEnd, 1));
        var slots = ArrayPool<HeaderSlot>.Shared.Rent(Math.Max(1, Math.Min(lineCount, limits.MaxHeaderCount + 1)));
        string?[]? folded = null;
        try
        {
            var text = chars.AsSpan(0, headerEnd);
            Encoding.Latin1.GetChars(section[..headerEnd], text);
            return ParseHeaderSection(section, text, bodyStart, missingEmptyLine, limits, slots, ref folded, out message);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
            ArrayPool<HeaderSlot>.Shared.Return(slots, clearArray: true);
        }
    }

    private static SipParseError? ParseHeaderSection(
        ReadOnlySpan<byte> section, ReadOnlySpan<char> text, int bodyStart, bool missingEmptyLine, SipParserLimits limits,
        HeaderSlot[] slots, ref string?[]? folded, out SipMessage? message)
    {
        message = null;

        // Start line.
        var firstBreak = text.IndexOf('\n');
        var startLineEnd = firstBreak < 0 ? text.Length : firstBreak;
        var startLineLength = startLineEnd > 0 && text[startLineEnd - 1] == '\r' ? startLineEnd - 1 : startLineEnd;
        var head = ParseStartLine(text[..startLineLength], section);

        // Header rows; continuation lines (RFC 3261 §7.3.1: CRLF + WSP is one SP) are joined to their row.
        var count = 0;
        SipParseError? headerError = null;
        var i = firstBreak < 0 ? text.Length : firstBreak + 1;
        while (i < text.Length)
        {
            var (contentEnd, next) = Line(text, i);
            var line = text[i..contentEnd];
            if (line.IsEmpty) { i = next; continue; }
            if (SipSyntax.IsWhitespace(line[0]))
            {
                // Continuations of a row are consumed with it, so this one has nothing to continue.
                headerError ??= Error(SipParseErrorKind.MalformedHeader, "continuation line with no header to continue");
                i = next;
                continue;
            }
            var colon = line.IndexOf(':');
            if (colon < 0)
            {
                headerError ??= Error(SipParseErrorKind.MalformedHeader, "header line without a colon");
                i = SkipContinuations(text, next);
                continue;
            }
            var name = line[..colon].TrimEnd(" \t");
            if (!SipSyntax.IsToken(name))
            {
                headerError ??= Error(SipParseErrorKind.MalformedHeader, "header name is not a token");
                i = SkipContinuations(text, next);
                continue;
            }
            var valueStart = i + colon + 1;
            var valueEnd = contentEnd;
            while (valueStart < valueEnd && SipSyntax.IsWhitespace(text[valueStart])) valueStart++;
            while (valueEnd > valueStart && SipSyntax.IsWhitespace(text[valueEnd - 1])) valueEnd--;

            string? unfolded = null;
            if (next < text.Length && SipSyntax.IsWhitespace(text[next]))
            {
                var sb = new StringBuilder(Encoding.UTF8.GetString(section[valueStart..valueEnd]));
                while (next < text.Length && SipSyntax.IsWhitespace(text[next]))
                {
                    var (end, after) = Line(text, next);
                    var partStart = next;
                    while (partStart < end && SipSyntax.IsWhitespace(text[partStart])) partStart++;
                    var partEnd = end;
                    while (partEnd > partStart && SipSyntax.IsWhitespace(text[partEnd - 1])) partEnd--;
                    if (partEnd > partStart)
                    {
                        if (sb.Length > 0) sb.Append(' ');
                        sb.Append(Encoding.UTF8.GetString(section[partStart..partEnd]));
                    }
                    next = after;
                }
                unfolded = sb.ToString();
            }

            if (count == limits.MaxHeaderCount)
                return Fail(SipParseErrorKind.TooManyHeaders, $"more than {limits.MaxHeaderCount} header rows", head, section, slots, count, folded);
            if (unfolded is not null) (folded ??= new string?[slots.Length])[count] = unfolded;
            slots[count++] = new HeaderSlot(HeaderNames.Canonicalize(name), valueStart, valueEnd - valueStart, unfolded is not null);
            i = next;
        }

        if (head.Error is not null) return Fail(head.Error, head, section, slots, count, folded);
        if (headerError is not null) return Fail(headerError, head, section, slots, count, folded);

        // Single-valued headers must not repeat (RFC 4475 multi01, mcl01).
        int via = -1, from = -1, to = -1, callId = -1, cseq = -1, contentLength = -1, maxForwards = -1, expires = -1, contentType = -1, eventIndex = -1;
        var hasContact = false;
        for (var k = 0; k < count; k++)
        {
            var duplicate = slots[k].Name switch
            {
                HeaderNames.Via => Mark(ref via, k, allowRepeat: true),
                HeaderNames.Contact => !(hasContact = true),
                HeaderNames.From => Mark(ref from, k),
                HeaderNames.To => Mark(ref to, k),
                HeaderNames.CallId => Mark(ref callId, k),
                HeaderNames.CSeq => Mark(ref cseq, k),
                HeaderNames.ContentLength => Mark(ref contentLength, k),
                HeaderNames.MaxForwards => Mark(ref maxForwards, k),
                HeaderNames.Expires => Mark(ref expires, k),
                HeaderNames.ContentType => Mark(ref contentType, k),
                HeaderNames.Event => Mark(ref eventIndex, k),
                _ => false,
            };
            if (duplicate)
                return Fail(SipParseErrorKind.DuplicateHeader, $"{slots[k].Name} header appears more than once", head, section, slots, count, folded);
        }

        // Typed validation of every header present that the SIP core interprets.
        for (var k = 0; k < count && via >= 0; k++)
        {
            if (!ReferenceEquals(slots[k].Name, HeaderNames.Via)) continue;
            var value = Value(text, slots, folded, k);
            var pos = 0;
            while (true)
            {
                var end = SipSyntax.ListElementEnd(value, pos);
                if (end < 0) return Invalid("Via", "Via list is malformed", head, section, slots, count, folded);
                var element = value[pos..end].Trim(" \t");
                if (element.IsEmpty) return Invalid("Via", "Via list has an empty element", head, section, slots, count, folded);
                if (!ViaHeader.TryScan(element, out _, out var viaError)) return Invalid("Via", viaError, head, section, slots, count, folded);
                if (end == value.Length) break;
                pos = end + 1;
            }
        }
        if (from >= 0 && !NameAddress.TryScan(Value(text, slots, folded, from), out _, out var fromError))
            return Invalid("From", fromError, head, section, slots, count, folded);
        if (to >= 0 && !NameAddress.TryScan(Value(text, slots, folded, to), out _, out var toError))
            return Invalid("To", toError, head, section, slots, count, folded);
        if (callId >= 0)
        {
            var value = Value(text, slots, folded, callId);
            if (value.IsEmpty || value.IndexOfAny(" \t") >= 0)
                return Invalid("Call-ID", "Call-ID is empty or contains whitespace", head, section, slots, count, folded);
        }
        CSeqHeader cseqValue = default;
        if (cseq >= 0)
        {
            if (!CSeqHeader.TryParse(Value(text, slots, folded, cseq), out cseqValue, out var cseqError))
                return Invalid("CSeq", cseqError, head, section, slots, count, folded);
            // Only for methods we know: an unknown method is a 501 before any header inspection
            // (RFC 3261 §8.2.1 precedes §8.2.2; RFC 4475 mismatch02).
            if (!head.IsResponse && head.Method is { } method && SipMethods.IsKnown(method) && !string.Equals(cseqValue.Method, method, StringComparison.Ordinal))
                return Fail(SipParseErrorKind.CSeqMethodMismatch, $"CSeq method {cseqValue.Method} does not match {method}", head, section, slots, count, folded);
        }
        int? maxForwardsValue = null;
        if (maxForwards >= 0)
        {
            if (!SipSyntax.TryParseInt31(Value(text, slots, folded, maxForwards), out var mf) || mf > 255)
                return Invalid("Max-Forwards", "Max-Forwards is not a number in 0-255", head, section, slots, count, folded);
            maxForwardsValue = mf;
        }
        uint? expiresValue = null;
        if (expires >= 0)
        {
            if (!SipSyntax.TryParseUInt32(Value(text, slots, folded, expires), out var e))
                return Invalid("Expires", "Expires is not a 32-bit delta-seconds value", head, section, slots, count, folded);
            expiresValue = e;
        }
        if (eventIndex >= 0 && !EventHeader.TryScan(Value(text, slots, folded, eventIndex), out _, out _, out var eventError))
            return Invalid("Event", eventError, head, section, slots, count, folded);
        for (var k = 0; k < count && hasContact; k++)
        {
            if (!ReferenceEquals(slots[k].Name, HeaderNames.Contact)) continue;
            var value = Value(text, slots, folded, k);
            var pos = 0;
            while (true)
            {
                var end = SipSyntax.ListElementEnd(value, pos);
                if (end < 0) return Invalid("Contact", "Contact list is malformed", head, section, slots, count, folded);
                var element = value[pos..end].Trim(" \t");
                if (!element.IsEmpty && element is not "*" && !NameAddress.TryScan(element, out _, out var contactError))
                    return Invalid("Contact", contactError, head, section, slots, count, folded);
                if (end == value.Length) break;
                pos = end + 1;
            }
        }

        // Checked after the rows so that a header fault in a message without its empty line
        // (RFC 4475 baddn) is reported as what it is; a truncated datagram still says so.
        if (missingEmptyLine)
            return Fail(SipParseErrorKind.MissingEmptyLine, "no empty line after the headers", head, section, slots, count, folded);

        // Framing by Content-Length in octets.
        var available = section.Length - bodyStart;
        var bodyLength = available;
        if (contentLength >= 0)
        {
            if (!SipSyntax.TryParseInt31(Value(text, slots, folded, contentLength), out var declared))
                return Fail(SipParseErrorKind.InvalidContentLength, "Content-Length is not a non-negative integer", head, section, slots, count, folded);
            if (declared > available)
                return Fail(SipParseErrorKind.BodyTruncated, $"Content-Length {declared} but only {available} body octets", head, section, slots, count, folded);
            bodyLength = declared;
        }

        if (via < 0) return Missing(HeaderNames.Via, head, section, slots, count, folded);
        if (from < 0) return Missing(HeaderNames.From, head, section, slots, count, folded);
        if (to < 0) return Missing(HeaderNames.To, head, section, slots, count, folded);
        if (callId < 0) return Missing(HeaderNames.CallId, head, section, slots, count, folded);
        if (cseq < 0) return Missing(HeaderNames.CSeq, head, section, slots, count, folded);

        // One copy of the octets the message needs (headers and body; trailing datagram octets are dropped).
        var data = section[..(bodyStart + bodyLength)].ToArray();
        string?[]? foldedValues = null;
        if (folded is not null)
        {
            foldedValues = new string?[count];
            Array.Copy(folded, foldedValues, count);
        }
        var parts = new MessageParts
        {
            Data = data,
            Slots = slots.AsSpan(0, count).ToArray(),
            FoldedValues = foldedValues,
            Body = bodyLength == 0 ? ReadOnlyMemory<byte>.Empty : new ReadOnlyMemory<byte>(data, bodyStart, bodyLength),
            FromIndex = from,
            ToIndex = to,
            CallIdIndex = callId,
            EventIndex = eventIndex,
            CSeq = cseqValue,
            Expires = expiresValue,
            MaxForwards = maxForwardsValue,
        };
        message = head.IsResponse
            ? new SipResponse(head.StatusCode, head.Reason!, parts)
            : new SipRequest(head.Method!, head.UriStart, head.UriLength, parts);
        return null;
    }

    /// <summary>
    /// For a datagram refused before it is parsed (larger than the limit, or with a line longer than
    /// the limit): reads the start line and the rows a UAS needs to answer — Via, From, To, Call-ID,
    /// CSeq — so that the unicast path can send the 513 / 400 (RFC 3261 §8.2, §21) instead of
    /// dropping the datagram. Bounded like the parser: at most <see cref="SipParserLimits.MaxDatagramBytes"/>
    /// octets and <see cref="SipParserLimits.MaxHeaderCount"/> rows are read, the body never, and a
    /// line over the limit is skipped (with its continuations), never decoded. Returns the error without
    /// a method when the start line itself cannot be read: nothing can be answered then.
    /// </summary>
    private static SipParseError Recover(ReadOnlySpan<byte> data, SipParserLimits limits, SipParseErrorKind kind, string detail)
    {
        var start = 0;
        while (start < data.Length && data[start] is (byte)'\r' or (byte)'\n') start++;
        var section = data[start..];
        if (section.Length > limits.MaxDatagramBytes) section = section[..limits.MaxDatagramBytes];

        string? method = null;
        var isResponse = false;
        var headers = new List<SipHeader>(6);
        var rows = 0;
        var first = true;
        var continuing = false; // whether a continuation line belongs to a row we keep
        var pos = 0;
        while (pos < section.Length)
        {
            var nl = section[pos..].IndexOf((byte)'\n');
            var lineEnd = nl < 0 ? section.Length : pos + nl;
            var contentEnd = lineEnd > pos && section[lineEnd - 1] == (byte)'\r' ? lineEnd - 1 : lineEnd;
            var line = section[pos..contentEnd];
            pos = nl < 0 ? section.Length : lineEnd + 1;
            if (line.IsEmpty) break; // the end of the header section
            if (line.Length > limits.MaxLineLength)
            {
                if (first) return Error(kind, detail);
                continuing = false;
                continue;
            }
            if (first)
            {
                first = false;
                var head = ParseStartLine(Encoding.Latin1.GetString(line), line);
                method = head.Method;
                isResponse = head.IsResponse;
                continue;
            }
            if (++rows > limits.MaxHeaderCount) break;
            if (line[0] is (byte)' ' or (byte)'\t')
            {
                // RFC 3261 §7.3.1: a continuation is one SP joined to its row.
                if (continuing)
                {
                    var last = headers[^1];
                    headers[^1] = last with { Value = string.Concat(last.Value, " ", Encoding.UTF8.GetString(line).Trim(' ', '\t')) };
                }
                continue;
            }
            continuing = false;
            var colon = line.IndexOf((byte)':');
            if (colon <= 0) continue;
            var nameText = Encoding.Latin1.GetString(line[..colon]).TrimEnd(' ', '\t');
            if (!SipSyntax.IsToken(nameText)) continue;
            var name = HeaderNames.Canonicalize(nameText);
            if (!(ReferenceEquals(name, HeaderNames.Via) || ReferenceEquals(name, HeaderNames.From) || ReferenceEquals(name, HeaderNames.To)
                  || ReferenceEquals(name, HeaderNames.CallId) || ReferenceEquals(name, HeaderNames.CSeq)))
                continue;
            headers.Add(new SipHeader(name, Encoding.UTF8.GetString(line[(colon + 1)..]).Trim(' ', '\t')));
            continuing = true;
        }
        return new SipParseError(kind, detail, method, isResponse, headers);
    }

    /// <summary>Sets <paramref name="slot"/> to <paramref name="index"/>; true when it was already set (a duplicate).</summary>
    private static bool Mark(ref int slot, int index, bool allowRepeat = false)
    {
        if (slot >= 0) return !allowRepeat;
        slot = index;
        return false;
    }

    /// <summary>The end of the line content (before CR LF / LF) and the start of the next line.</summary>
    private static (int ContentEnd, int Next) Line(ReadOnlySpan<char> text, int start)
    {
        var nl = text[start..].IndexOf('\n');
        var lineEnd = nl < 0 ? text.Length : start + nl;
        var contentEnd = lineEnd > start && text[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
        return (contentEnd, nl < 0 ? text.Length : lineEnd + 1);
    }

    private static int SkipContinuations(ReadOnlySpan<char> text, int next)
    {
        while (next < text.Length && SipSyntax.IsWhitespace(text[next])) next = Line(text, next).Next;
        return next;
    }

    private static ReadOnlySpan<char> Value(ReadOnlySpan<char> text, HeaderSlot[] slots, string?[]? folded, int index) =>
        slots[index].Folded ? folded![index] : text.Slice(slots[index].Start, slots[index].Length);

    /// <summary>What the start line said: offsets are into the header section's octets.</summary>
    private readonly record struct StartLine(
        bool IsResponse, string? Method, int UriStart, int UriLength, int StatusCode, string? Reason, SipParseError? Error);

    private static StartLine ParseStartLine(ReadOnlySpan<char> line, ReadOnlySpan<byte> octets)
    {
        if (line.StartsWith("SIP/", StringComparison.OrdinalIgnoreCase))
        {
            // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
            var sp1 = line.IndexOf(' ');
            if (sp1 < 0) return BadResponse(SipParseErrorKind.MalformedStartLine, "status line has no status code");
            if (!line[..sp1].Equals("SIP/2.0", StringComparison.OrdinalIgnoreCase))
                return BadResponse(SipParseErrorKind.UnsupportedVersion, $"unsupported SIP version {Printable(line[..sp1])}");
            var afterVersion = line[(sp1 + 1)..];
            var codeEnd = afterVersion.IndexOf(' ');
            var codeText = codeEnd < 0 ? afterVersion : afterVersion[..codeEnd];
            if (codeText.Length != 3 || !SipSyntax.TryParseInt31(codeText, out var code) || code is < 100 or > 699)
                return BadResponse(SipParseErrorKind.InvalidStatusCode, "status code is not three digits in 100-699");
            var reasonStart = sp1 + 1 + codeEnd + 1;
            var reason = codeEnd < 0 ? string.Empty
                : line[reasonStart..] is "OK" ? "OK"
                : Encoding.UTF8.GetString(octets[reasonStart..line.Length]);
            return new StartLine(true, null, 0, 0, code, reason, null);
        }

        // Request-Line = Method SP Request-URI SP SIP-Version: exactly one SP between elements (RFC 4475 lwsstart, trws).
        var first = line.IndexOf(' ');
        if (first <= 0) return BadRequest(null, SipParseErrorKind.MalformedStartLine, "request line is not 'Method SP Request-URI SP SIP/2.0'");
        var methodSpan = line[..first];
        if (!SipSyntax.IsToken(methodSpan)) return BadRequest(null, SipParseErrorKind.MalformedStartLine, "method is not a token");
        var method = SipMethods.Intern(methodSpan);
        var afterMethod = line[(first + 1)..];
        var second = afterMethod.IndexOf(' ');
        if (second <= 0) return BadRequest(method, SipParseErrorKind.MalformedStartLine, "request line is not 'Method SP Request-URI SP SIP/2.0'");
        var uriText = afterMethod[..second];
        var version = afterMethod[(second + 1)..];
        if (version.IndexOfAny(" \t") >= 0 || version.IsEmpty)
            return BadRequest(method, SipParseErrorKind.MalformedStartLine, "request line has extra whitespace or no SIP version");
        if (!version.StartsWith("SIP/", StringComparison.OrdinalIgnoreCase))
            return BadRequest(method, SipParseErrorKind.MalformedStartLine, "request line does not end with a SIP version");
        if (!version.Equals("SIP/2.0", StringComparison.OrdinalIgnoreCase))
            return BadRequest(method, SipParseErrorKind.UnsupportedVersion, $"unsupported SIP version {Printable(version)}");
        if (!SipUri.TryScan(uriText, out var scan, out var uriError))
            return BadRequest(method, SipParseErrorKind.InvalidRequestUri, $"Request-URI: {uriError}");
        // RFC 3261 §19.1.1: headers are not allowed in a Request-URI (RFC 4475 escruri).
        if (scan.HasHeaders)
            return BadRequest(method, SipParseErrorKind.InvalidRequestUri, "Request-URI: headers (?…) are not allowed in a Request-URI");
        return new StartLine(false, method, first + 1, uriText.Length, 0, null, null);

        static StartLine BadResponse(SipParseErrorKind kind, string detail) =>
            new(true, null, 0, 0, 0, null, Error(kind, detail));
        static StartLine BadRequest(string? method, SipParseErrorKind kind, string detail) =>
            new(false, method, 0, 0, 0, null, Error(kind, detail));
    }

    private static string Printable(ReadOnlySpan<char> s)
    {
        var text = s.Length > 32 ? s[..32] : s;
        var chars = new char[text.Length];
        for (var i = 0; i < text.Length; i++) chars[i] = text[i] is >= ' ' and < (char)0x7f ? text[i] : '?';
        return new string(chars);
    }

    private static SipParseError Error(SipParseErrorKind kind, string detail) => new(kind, detail, null, false, []);

    private static SipParseError Fail(SipParseError error, StartLine head, ReadOnlySpan<byte> section, HeaderSlot[] slots, int count, string?[]? folded) =>
        error with { Method = head.Method, IsResponse = head.IsResponse, Headers = Materialize(section, slots, count, folded) };

    private static SipParseError Fail(SipParseErrorKind kind, string detail, StartLine head, ReadOnlySpan<byte> section, HeaderSlot[] slots, int count, string?[]? folded) =>
        new(kind, detail, head.Method, head.IsResponse, Materialize(section, slots, count, folded));

    private static SipParseError Missing(string name, StartLine head, ReadOnlySpan<byte> section, HeaderSlot[] slots, int count, string?[]? folded) =>
        Fail(SipParseErrorKind.MissingHeader, $"missing {name} header", head, section, slots, count, folded);

    private static SipParseError Invalid(string name, string detail, StartLine head, ReadOnlySpan<byte> section, HeaderSlot[] slots, int count, string?[]? folded) =>
        Fail(SipParseErrorKind.InvalidHeaderValue, $"malformed {name}: {detail}", head, section, slots, count, folded);

    /// <summary>The header rows read so far as strings, so that a UAS can answer a faulty request (error path only).</summary>
    private static SipHeader[] Materialize(ReadOnlySpan<byte> section, HeaderSlot[] slots, int count, string?[]? folded)
    {
        var headers = new SipHeader[count];
        for (var k = 0; k < count; k++)
        {
            var slot = slots[k];
            headers[k] = new SipHeader(slot.Name, slot.Folded ? folded![k]! : Encoding.UTF8.GetString(section.Slice(slot.Start, slot.Length)));
        }
        return headers;
    }
}
