using SnomActors.Sip.Messages;

namespace SnomActors.Sip.Parsing;

/// <summary>What was wrong with a datagram that did not parse as a SIP message.</summary>
public enum SipParseErrorKind
{
    /// <summary>Nothing but whitespace / CRLF keep-alives.</summary>
    Empty,
    /// <summary>Larger than the configured datagram limit (513 on unicast).</summary>
    TooLarge,
    /// <summary>The start line is not <c>Method SP URI SP SIP/2.0</c> or <c>SIP/2.0 SP code SP reason</c>.</summary>
    MalformedStartLine,
    /// <summary>A SIP version other than 2.0 (505).</summary>
    UnsupportedVersion,
    /// <summary>The Request-URI is not a well-formed absolute URI.</summary>
    InvalidRequestUri,
    /// <summary>The status code is not three digits in 100-699.</summary>
    InvalidStatusCode,
    /// <summary>A header line without a colon or with a name that is not a token, or a fold with nothing to continue.</summary>
    MalformedHeader,
    TooManyHeaders,
    LineTooLong,
    /// <summary>The empty line that ends the headers is missing.</summary>
    MissingEmptyLine,
    /// <summary>One of Via, From, To, Call-ID, CSeq is missing.</summary>
    MissingHeader,
    /// <summary>A single-valued header appears more than once.</summary>
    DuplicateHeader,
    /// <summary>A header the SIP core needs does not follow its grammar.</summary>
    InvalidHeaderValue,
    /// <summary>Content-Length is not a non-negative 32-bit number.</summary>
    InvalidContentLength,
    /// <summary>The datagram holds fewer body octets than Content-Length says (RFC 4475 <c>clerr</c>).</summary>
    BodyTruncated,
    /// <summary>CSeq method differs from the request method (RFC 4475 <c>mismatch01</c>).</summary>
    CSeqMethodMismatch,
}

/// <summary>
/// A typed parse failure. <see cref="Headers"/> holds whatever header rows could be read, so that
/// a UAS can still build a 400 (it needs Via, From, To, Call-ID, CSeq) or decide to drop.
/// </summary>
/// <param name="Kind">The class of fault.</param>
/// <param name="Detail">A short English description naming the fault, fit for a reason phrase.</param>
/// <param name="Method">The request method when the start line named one, else null.</param>
/// <param name="IsResponse">True when the start line looked like a status line (responses are never answered).</param>
/// <param name="Headers">The header rows read before or despite the fault (empty when none).</param>
public sealed record SipParseError(
    SipParseErrorKind Kind,
    string Detail,
    string? Method,
    bool IsResponse,
    IReadOnlyList<SipHeader> Headers)
{
    /// <summary>The response a UAS sends for this fault on the unicast path (RFC 3261 §8.2, §21).</summary>
    public int StatusCode => Kind switch
    {
        SipParseErrorKind.UnsupportedVersion => 505,
        SipParseErrorKind.TooLarge => 513,
        _ => 400,
    };

    public override string ToString() => $"{Kind}: {Detail}";
}
