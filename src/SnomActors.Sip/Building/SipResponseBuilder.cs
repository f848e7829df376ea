using System.Net;
using System.Text;
using SnomActors.Sip.Headers;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Parsing;

namespace SnomActors.Sip.Building;

/// <summary>
/// Builds UAS responses (RFC 3261 §8.2.6): Vias copied in order with received/rport on the top one,
/// From, Call-ID, CSeq copied, To copied plus our tag, Record-Route copied on 2xx, Content-Length 0.
/// The output is a pure function of its inputs, so a retransmitted request yields a byte-identical response.
/// </summary>
public static class SipResponseBuilder
{
    /// <summary>Standard reason phrases for the codes the daemon sends.</summary>
    public static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        489 => "Bad Event",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        _ => "Unknown",
    };

    /// <summary>Builds a response to <paramref name="request"/> received from <paramref name="source"/>.</summary>
    /// <param name="toTag">Our To-tag; added unless the request's To already has one.</param>
    /// <param name="reason">Reason phrase; defaults to the standard one.</param>
    /// <param name="extraHeaders">Headers appended before Content-Length (Contact, Expires, Allow …).</param>
    public static byte[] Build(SipRequest request, IPEndPoint source, int status, string? toTag,
        string? reason = null, IReadOnlyList<SipHeader>? extraHeaders = null)
    {
        var sb = SipTextBuffer.Rent();
        AppendStatusLine(sb, status, reason);
        sb.Append("Via: ");
        ResponseRouting.AppendTopViaForResponse(sb, request.TopVia, source);
        sb.Append("\r\n");
        for (var i = 1; i < request.Vias.Count; i++) AppendHeader(sb, HeaderNames.Via, request.Vias[i].Raw);
        AppendHeader(sb, HeaderNames.From, request.From.Raw);
        if (toTag is not null && request.To.Tag is null)
            sb.Append("To: ").Append(request.To.Raw).Append(";tag=").Append(toTag).Append("\r\n");
        else AppendHeader(sb, HeaderNames.To, request.To.Raw);
        AppendHeader(sb, HeaderNames.CallId, request.CallId);
        sb.Append("CSeq: ").Append(request.CSeq.Number).Append(' ').Append(request.CSeq.Method).Append("\r\n");
        if (status is >= 200 and < 300 && request.GetFirst(HeaderNames.RecordRoute) is not null)
            foreach (var rr in request.GetList(HeaderNames.RecordRoute)) AppendHeader(sb, HeaderNames.RecordRoute, rr);
        if (extraHeaders is not null)
            for (var i = 0; i < extraHeaders.Count; i++) AppendHeader(sb, extraHeaders[i].Name, extraHeaders[i].Value);
        sb.Append("Content-Length: 0\r\n\r\n");
        return SipTextBuffer.ToBytesAndReturn(sb, []);
    }

    /// <summary>
    /// Builds an error response to a request that failed to parse, from the raw header rows the
    /// parser could read. Returns null when there is no usable Via (RFC 3261: then drop) or the
    /// datagram was a response (responses are never answered).
    /// </summary>
    public static byte[]? BuildForParseError(SipParseError error, IPEndPoint source, string? toTag,
        IReadOnlyList<SipHeader>? extraHeaders = null)
    {
        if (error.IsResponse || error.Method is null || error.Method == SipMethods.Ack) return null;
        var viaRows = error.Headers.Where(h => ReferenceEquals(h.Name, HeaderNames.Via)).Select(h => h.Value).ToList();
        if (viaRows.Count == 0) return null;
        var vias = new List<string>();
        foreach (var row in viaRows) if (!SipSyntax.TrySplitList(row, vias)) return null;
        if (vias.Count == 0 || !ViaHeader.TryParse(vias[0], out var top, out _)) return null;

        var sb = SipTextBuffer.Rent();
        AppendStatusLine(sb, error.StatusCode, $"{ReasonPhrase(error.StatusCode)} ({Sanitize(error.Detail)})");
        AppendHeader(sb, HeaderNames.Via, ResponseRouting.TopViaForResponse(top, source));
        for (var i = 1; i < vias.Count; i++) AppendHeader(sb, HeaderNames.Via, vias[i]);
        foreach (var name in new[] { HeaderNames.From, HeaderNames.To, HeaderNames.CallId, HeaderNames.CSeq })
        {
            var value = error.Headers.FirstOrDefault(h => ReferenceEquals(h.Name, name)).Value;
            if (value is null) continue;
            if (ReferenceEquals(name, HeaderNames.To) && toTag is not null && !value.Contains(";tag=", StringComparison.OrdinalIgnoreCase))
                value = string.Concat(value, ";tag=", toTag);
            AppendHeader(sb, name, value);
        }
        if (extraHeaders is not null) foreach (var h in extraHeaders) AppendHeader(sb, h.Name, h.Value);
        sb.Append("Content-Length: 0\r\n\r\n");
        return SipTextBuffer.ToBytesAndReturn(sb, []);
    }

    /// <summary>Where to send a response built by <see cref="BuildForParseError"/>, or null.</summary>
    public static IPEndPoint? DestinationForParseError(SipParseError error, IPEndPoint source)
    {
        var via = error.Headers.FirstOrDefault(h => ReferenceEquals(h.Name, HeaderNames.Via)).Value;
        if (via is null) return null;
        var parts = new List<string>();
        if (!SipSyntax.TrySplitList(via, parts) || parts.Count == 0 || !ViaHeader.TryParse(parts[0], out var top, out _)) return null;
        return ResponseRouting.ResponseDestination(top, source);
    }

    private static void AppendStatusLine(StringBuilder sb, int status, string? reason) =>
        sb.Append("SIP/2.0 ").Append(status).Append(' ').Append(reason ?? ReasonPhrase(status)).Append("\r\n");

    private static void AppendHeader(StringBuilder sb, string name, string value) =>
        sb.Append(name).Append(": ").Append(value).Append("\r\n");

    /// <summary>Keeps a reason phrase on one printable line whatever the fault text contained.</summary>
    private static string Sanitize(string detail)
    {
        var chars = detail.Length > 120 ? detail[..120].ToCharArray() : detail.ToCharArray();
        for (var i = 0; i < chars.Length; i++) if (chars[i] < ' ' || chars[i] == 0x7f) chars[i] = ' ';
        return new string(chars);
    }
}
