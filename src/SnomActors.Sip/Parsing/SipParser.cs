using System.Text;
using SnomActors.Sip.Headers;
using SnomActors.Sip.Messages;

namespace SnomActors.Sip.Parsing;

/// <summary>
/// Parses one UDP datagram into a <see cref="SipMessage"/> or a typed <see cref="SipParseError"/>.
/// Framing is done on octets (Content-Length counts bytes, RFC 3261 §18.3); only the header section
/// is decoded to text. Never throws for any input.
/// </summary>
public static class SipParser
{
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
            message = null;
            error = new SipParseError(SipParseErrorKind.MalformedHeader, $"unparseable message ({ex.GetType().Name})", null, false, []);
        }
        return message is not null;
    }

    private static SipParseError? Parse(ReadOnlySpan<byte> data, SipParserLimits limits, out SipMessage? message)
    {
        message = null;
        if (data.Length > limits.MaxDatagramBytes)
            return Fail(SipParseErrorKind.TooLarge, $"message of {data.Length} octets exceeds {limits.MaxDatagramBytes}");

        // RFC 3261 §7.5: ignore CRLFs before the start line (also keep-alives).
        var start = 0;
        while (start < data.Length && data[start] is (byte)'\r' or (byte)'\n') start++;
        if (start == data.Length) return Fail(SipParseErrorKind.Empty, "empty datagram");

        // Find the empty line that ends the header section, accepting bare LF leniently.
        var headerEnd = -1; // index of the first octet after the header section's last line break
        var bodyStart = -1;
        var lineStart = start;
        var longestLine = 0;
        for (var i = start; i < data.Length; i++)
        {
            if (data[i] != (byte)'\n') continue;
            var lineLength = i - lineStart;
            if (lineLength > 0 && data[i - 1] == (byte)'\r') lineLength--;
            if (lineLength == 0)
            {
                headerEnd = lineStart;
                bodyStart = i + 1;
                break;
            }
            if (lineLength > longestLine) longestLine = lineLength;
            lineStart = i + 1;
        }
        var missingEmptyLine = headerEnd < 0;
        if (missingEmptyLine)
        {
            headerEnd = data.Length;
            bodyStart = data.Length;
            if (data.Length - lineStart > longestLine) longestLine = data.Length - lineStart;
        }
        if (longestLine > limits.MaxLineLength)
            return Fail(SipParseErrorKind.LineTooLong, $"a line of {longestLine} octets exceeds {limits.MaxLineLength}");

        var text = Encoding.UTF8.GetString(data[start..headerEnd]);
        var lines = text.AsSpan();

        // Start line.
        var firstBreak = lines.IndexOf('\n');
        var startLine = firstBreak < 0 ? lines : lines[..firstBreak];
        if (startLine.Length > 0 && startLine[^1] == '\r') startLine = startLine[..^1];
        var rest = firstBreak < 0 ? [] : lines[(firstBreak + 1)..];

        var head = ParseStartLine(startLine);

        // Header rows with folding (RFC 3261 §7.3.1: CRLF + WSP is one SP).
        var headers = new List<SipHeader>(16);
        SipParseError? headerError = null;
        while (!rest.IsEmpty)
        {
            var nl = rest.IndexOf('\n');
            var line = nl < 0 ? rest : rest[..nl];
            rest = nl < 0 ? [] : rest[(nl + 1)..];
            if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
            if (line.IsEmpty) continue;
            if (SipSyntax.IsWhitespace(line[0]))
            {
                if (headers.Count == 0)
                {
                    headerError ??= Error(SipParseErrorKind.MalformedHeader, "continuation line with no header to continue");
                    continue;
                }
                var last = headers[^1];
                var continuation = line.Trim(" \t");
                headers[^1] = last with { Value = last.Value.Length == 0 ? continuation.ToString() : string.Concat(last.Value, " ", continuation) };
                continue;
            }
            var colon = line.IndexOf(':');
            if (colon < 0)
            {
                headerError ??= Error(SipParseErrorKind.MalformedHeader, "header line without a colon");
                continue;
            }
            var name = line[..colon].TrimEnd(" \t");
            if (!SipSyntax.IsToken(name))
            {
                headerError ??= Error(SipParseErrorKind.MalformedHeader, "header name is not a token");
                continue;
            }
            if (headers.Count == limits.MaxHeaderCount)
                return Fail(SipParseErrorKind.TooManyHeaders, $"more than {limits.MaxHeaderCount} header rows", head, headers);
            headers.Add(new SipHeader(HeaderNames.Canonicalize(name), line[(colon + 1)..].Trim(" \t").ToString()));
        }

        if (head.Error is not null) return head.Error with { Headers = headers, Method = head.Method, IsResponse = head.IsResponse };
        if (headerError is not null) return headerError with { Headers = headers, Method = head.Method, IsResponse = head.IsResponse };
        if (missingEmptyLine)
            return Fail(SipParseErrorKind.MissingEmptyLine, "no empty line after the headers", head, headers);

        // Single-valued headers must not repeat; required ones must be there.
        string? callId = null, from = null, to = null, cseq = null, contentLength = null, maxForwards = null, expires = null;
        string? eventValue = null;
        List<string>? viaValues = null, contactValues = null;
        foreach (var h in headers)
        {
            switch (h.Name)
            {
                case HeaderNames.Via: (viaValues ??= []).Add(h.Value); break;
                case HeaderNames.Contact: (contactValues ??= []).Add(h.Value); break;
                case HeaderNames.CallId: if (!Single(ref callId, h)) return Duplicate(h, head, headers); break;
                case HeaderNames.From: if (!Single(ref from, h)) return Duplicate(h, head, headers); break;
                case HeaderNames.To: if (!Single(ref to, h)) return Duplicate(h, head, headers); break;
                case HeaderNames.CSeq: if (!Single(ref cseq, h)) return Duplicate(h, head, headers); break;
                case HeaderNames.ContentLength: if (!Single(ref contentLength, h)) return Duplicate(h, head, headers); break;
                case HeaderNames.MaxForwards: if (!Single(ref maxForwards, h)) return Duplicate(h, head, headers); break;
                case HeaderNames.Expires: if (!Single(ref expires, h)) return Duplicate(h, head, headers); break;
                case HeaderNames.ContentType:
                    if (headers.Count(x => ReferenceEquals(x.Name, HeaderNames.ContentType)) > 1) return Duplicate(h, head, headers);
                    break;
                case HeaderNames.Event: if (!Single(ref eventValue, h)) return Duplicate(h, head, headers); break;
            }
        }

        // Framing by Content-Length in octets.
        var available = data.Length - bodyStart;
        var bodyLength = available;
        if (contentLength is not null)
        {
            if (!SipSyntax.TryParseInt31(contentLength.AsSpan().Trim(" \t"), out var declared))
                return Fail(SipParseErrorKind.InvalidContentLength, "Content-Length is not a non-negative integer", head, headers);
            if (declared > available)
                return Fail(SipParseErrorKind.BodyTruncated, $"Content-Length {declared} but only {available} body octets", head, headers);
            bodyLength = declared;
        }

        if (viaValues is null) return Missing(HeaderNames.Via, head, headers);
        if (from is null) return Missing(HeaderNames.From, head, headers);
        if (to is null) return Missing(HeaderNames.To, head, headers);
        if (callId is null) return Missing(HeaderNames.CallId, head, headers);
        if (cseq is null) return Missing(HeaderNames.CSeq, head, headers);

        var vias = new List<ViaHeader>(viaValues.Count);
        var parts = new List<string>(2);
        foreach (var row in viaValues)
        {
            parts.Clear();
            if (!SipSyntax.TrySplitList(row, parts) || parts.Count == 0)
                return Invalid("Via", "Via list is malformed", head, headers);
            foreach (var part in parts)
            {
                if (!ViaHeader.TryParse(part, out var via, out var viaError)) return Invalid("Via", viaError, head, headers);
                vias.Add(via);
            }
        }
        if (!NameAddress.TryParse(from, out var fromValue, out var fromError)) return Invalid("From", fromError, head, headers);
        if (!NameAddress.TryParse(to, out var toValue, out var toError)) return Invalid("To", toError, head, headers);
        if (callId.Length == 0 || callId.AsSpan().IndexOfAny(" \t") >= 0)
            return Invalid("Call-ID", "Call-ID is empty or contains whitespace", head, headers);
        if (!CSeqHeader.TryParse(cseq, out var cseqValue, out var cseqError)) return Invalid("CSeq", cseqError, head, headers);
        if (!head.IsResponse && !string.Equals(cseqValue.Method, head.Method, StringComparison.Ordinal))
            return Fail(SipParseErrorKind.CSeqMethodMismatch, $"CSeq method {cseqValue.Method} does not match {head.Method}", head, headers);

        int? maxForwardsValue = null;
        if (maxForwards is not null)
        {
            if (!SipSyntax.TryParseInt31(maxForwards.AsSpan(), out var mf) || mf > 255)
                return Invalid("Max-Forwards", "Max-Forwards is not a number in 0-255", head, headers);
            maxForwardsValue = mf;
        }
        uint? expiresValue = null;
        if (expires is not null)
        {
            if (!SipSyntax.TryParseUInt32(expires.AsSpan(), out var e))
                return Invalid("Expires", "Expires is not a 32-bit delta-seconds value", head, headers);
            expiresValue = e;
        }
        EventHeader? eventHeader = null;
        if (eventValue is not null && !EventHeader.TryParse(eventValue, out eventHeader, out var eventError))
            return Invalid("Event", eventError, head, headers);

        var contacts = new List<NameAddress>();
        if (contactValues is not null)
        {
            foreach (var row in contactValues)
            {
                parts.Clear();
                if (!SipSyntax.TrySplitList(row, parts)) return Invalid("Contact", "Contact list is malformed", head, headers);
                foreach (var part in parts)
                {
                    if (!NameAddress.TryParse(part, out var contact, out var contactError)) return Invalid("Contact", contactError, head, headers);
                    contacts.Add(contact);
                }
            }
        }

        var body = bodyLength == 0 ? ReadOnlyMemory<byte>.Empty : data.Slice(bodyStart, bodyLength).ToArray();
        var messageParts = new MessageParts
        {
            Headers = headers,
            Body = body,
            Vias = vias,
            From = fromValue,
            To = toValue,
            CallId = callId,
            CSeq = cseqValue,
            Contacts = contacts,
            Event = eventHeader,
            Expires = expiresValue,
            MaxForwards = maxForwardsValue,
        };
        message = head.IsResponse
            ? new SipResponse(head.StatusCode, head.Reason!, messageParts)
            : new SipRequest(head.Method!, head.RequestUri!, messageParts);
        return null;
    }

    private sealed record StartLine(
        bool IsResponse, string? Method, SipUri? RequestUri, int StatusCode, string? Reason, SipParseError? Error);

    private static StartLine ParseStartLine(ReadOnlySpan<char> line)
    {
        if (line.StartsWith("SIP/", StringComparison.OrdinalIgnoreCase))
        {
            // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
            var sp1 = line.IndexOf(' ');
            if (sp1 < 0) return BadResponse("status line has no status code");
            if (!line[..sp1].Equals("SIP/2.0", StringComparison.OrdinalIgnoreCase))
                return new StartLine(true, null, null, 0, null, Error(SipParseErrorKind.UnsupportedVersion, $"unsupported SIP version {Printable(line[..sp1])}"));
            var afterVersion = line[(sp1 + 1)..];
            var codeEnd = afterVersion.IndexOf(' ');
            var codeText = codeEnd < 0 ? afterVersion : afterVersion[..codeEnd];
            if (codeText.Length != 3 || !SipSyntax.TryParseInt31(codeText, out var code) || code is < 100 or > 699)
                return BadResponse("status code is not three digits in 100-699");
            var reason = codeEnd < 0 ? string.Empty : afterVersion[(codeEnd + 1)..].ToString();
            return new StartLine(true, null, null, code, reason, null);
        }

        // Request-Line = Method SP Request-URI SP SIP-Version: exactly one SP between elements (RFC 4475 lwsstart, trws).
        var first = line.IndexOf(' ');
        if (first <= 0) return BadRequest(null, "request line is not 'Method SP Request-URI SP SIP/2.0'");
        var method = line[..first];
        if (!SipSyntax.IsToken(method)) return BadRequest(null, "method is not a token");
        var methodName = SipMethods.Intern(method);
        var afterMethod = line[(first + 1)..];
        var second = afterMethod.IndexOf(' ');
        if (second <= 0) return BadRequest(methodName, "request line is not 'Method SP Request-URI SP SIP/2.0'");
        var uriText = afterMethod[..second];
        var version = afterMethod[(second + 1)..];
        if (version.IndexOfAny(" \t") >= 0 || version.IsEmpty)
            return BadRequest(methodName, "request line has extra whitespace or no SIP version");
        if (!version.StartsWith("SIP/", StringComparison.OrdinalIgnoreCase))
            return BadRequest(methodName, "request line does not end with a SIP version");
        if (!version.Equals("SIP/2.0", StringComparison.OrdinalIgnoreCase))
            return new StartLine(false, methodName, null, 0, null, Error(SipParseErrorKind.UnsupportedVersion, $"unsupported SIP version {Printable(version)}"));
        if (!SipUri.TryParse(uriText.ToString(), out var uri, out var uriError))
            return new StartLine(false, methodName, null, 0, null, Error(SipParseErrorKind.InvalidRequestUri, $"Request-URI: {uriError}"));
        return new StartLine(false, methodName, uri, 0, null, null);

        static StartLine BadResponse(string detail) =>
            new(true, null, null, 0, null, Error(SipParseErrorKind.MalformedStartLine, detail));
        static StartLine BadRequest(string? method, string detail) =>
            new(false, method, null, 0, null, Error(SipParseErrorKind.MalformedStartLine, detail));
    }

    private static string Printable(ReadOnlySpan<char> s)
    {
        var text = s.Length > 32 ? s[..32] : s;
        var chars = new char[text.Length];
        for (var i = 0; i < text.Length; i++) chars[i] = text[i] is >= ' ' and < (char)0x7f ? text[i] : '?';
        return new string(chars);
    }

    private static bool Single(ref string? slot, SipHeader header)
    {
        if (slot is not null) return false;
        slot = header.Value;
        return true;
    }

    private static SipParseError Error(SipParseErrorKind kind, string detail) => new(kind, detail, null, false, []);

    private static SipParseError Fail(SipParseErrorKind kind, string detail) => Error(kind, detail);

    private static SipParseError Fail(SipParseErrorKind kind, string detail, StartLine head, List<SipHeader> headers) =>
        new(kind, detail, head.Method, head.IsResponse, headers);

    private static SipParseError Duplicate(SipHeader h, StartLine head, List<SipHeader> headers) =>
        Fail(SipParseErrorKind.DuplicateHeader, $"{h.Name} header appears more than once", head, headers);

    private static SipParseError Missing(string name, StartLine head, List<SipHeader> headers) =>
        Fail(SipParseErrorKind.MissingHeader, $"missing {name} header", head, headers);

    private static SipParseError Invalid(string name, string detail, StartLine head, List<SipHeader> headers) =>
        Fail(SipParseErrorKind.InvalidHeaderValue, $"malformed {name}: {detail}", head, headers);
}
