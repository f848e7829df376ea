using System.Net;
using System.Text;
using SnomActors.Sip.Headers;
using SnomActors.Sip.Messages;

namespace SnomActors.Sip.Building;

/// <summary>
/// The dialog state a notifier needs after answering a SUBSCRIBE (RFC 3261 §12.1.1): our tag, the
/// phone's tag, both URIs, the remote target and route set.
/// </summary>
public sealed record NotifierDialog(
    string CallId,
    string LocalTag,
    string LocalNameAddress,
    string RemoteNameAddress,
    NotifyTarget Target,
    IReadOnlyList<string> RouteSet,
    string EventHeader,
    string ContactUri)
{
    /// <summary>
    /// Builds the dialog from the SUBSCRIBE we answered with <paramref name="localTag"/>.
    /// </summary>
    /// <param name="contactUri">Our Contact, e.g. <c>sip:10.0.0.1:5060</c>.</param>
    public static NotifierDialog FromSubscribe(SipRequest subscribe, IPEndPoint source, string localTag, string contactUri)
    {
        // RFC 6665 §3.2.1/§8.2.1: the NOTIFY's Event names the same package (and id) byte-wise; the
        // ua-profile parameters are SUBSCRIBE-only (RFC 6080 §6.2) so they are not echoed.
        var ev = subscribe.Event;
        var eventHeader = ev is null ? "ua-profile" : ev.PackageWithId();
        return new NotifierDialog(
            subscribe.CallId,
            localTag,
            subscribe.To.WithoutTag(),
            subscribe.From.Raw,
            ResponseRouting.NotifyTargetFor(subscribe, source),
            subscribe.GetList(HeaderNames.RecordRoute),
            eventHeader,
            contactUri);
    }
}

/// <summary>Renders NOTIFY requests (RFC 6665 §4.2.2 / RFC 6080 §6.5 as protocol.md §1.2 lays out).</summary>
public static class NotifyBuilder
{
    public const string ApplicationUrl = "application/url";
    public const string TerminatedTimeout = "terminated;reason=timeout";

    /// <summary>The in-dialog NOTIFY carrying <paramref name="body"/>.</summary>
    /// <param name="viaSentBy">Our sent-by, <c>host:port</c>.</param>
    /// <param name="branch">A fresh branch for this client transaction (never the phone's).</param>
    public static byte[] Build(NotifierDialog dialog, uint cseq, string viaSentBy, string branch,
        string subscriptionState, string contentType, ReadOnlySpan<byte> body, string? userAgent = null)
    {
        var sb = SipTextBuffer.Rent();
        sb.Append("NOTIFY ").Append(dialog.Target.RequestUri).Append(" SIP/2.0\r\n");
        sb.Append("Via: SIP/2.0/UDP ").Append(viaSentBy).Append(";branch=").Append(branch).Append(";rport\r\n");
        sb.Append("Max-Forwards: 70\r\n");
        foreach (var route in dialog.RouteSet) sb.Append("Route: ").Append(route).Append("\r\n");
        sb.Append("From: ").Append(dialog.LocalNameAddress).Append(";tag=").Append(dialog.LocalTag).Append("\r\n");
        sb.Append("To: ").Append(dialog.RemoteNameAddress).Append("\r\n");
        sb.Append("Call-ID: ").Append(dialog.CallId).Append("\r\n");
        sb.Append("CSeq: ").Append(cseq).Append(" NOTIFY\r\n");
        sb.Append("Contact: <").Append(dialog.ContactUri).Append(">\r\n");
        sb.Append("Event: ").Append(dialog.EventHeader).Append("\r\n");
        sb.Append("Subscription-State: ").Append(subscriptionState).Append("\r\n");
        if (userAgent is not null) sb.Append("User-Agent: ").Append(userAgent).Append("\r\n");
        if (!body.IsEmpty) sb.Append("Content-Type: ").Append(contentType).Append("\r\n");
        sb.Append("Content-Length: ").Append(body.Length).Append("\r\n\r\n");
        return SipTextBuffer.ToBytesAndReturn(sb, body);
    }

    /// <summary>
    /// An out-of-dialog <c>check-sync</c> NOTIFY asking a running phone to re-fetch its settings
    /// (snom, Yealink, Grandstream and others honour it; <c>reboot=true</c> restarts the phone).
    /// </summary>
    public static byte[] BuildCheckSync(string requestUri, string viaSentBy, string branch, string callId,
        string fromUri, string fromTag, string toUri, uint cseq, bool reboot, string contactUri)
    {
        var sb = SipTextBuffer.Rent();
        sb.Append("NOTIFY ").Append(requestUri).Append(" SIP/2.0\r\n");
        sb.Append("Via: SIP/2.0/UDP ").Append(viaSentBy).Append(";branch=").Append(branch).Append(";rport\r\n");
        sb.Append("Max-Forwards: 70\r\n");
        sb.Append("From: <").Append(fromUri).Append(">;tag=").Append(fromTag).Append("\r\n");
        sb.Append("To: <").Append(toUri).Append(">\r\n");
        sb.Append("Call-ID: ").Append(callId).Append("\r\n");
        sb.Append("CSeq: ").Append(cseq).Append(" NOTIFY\r\n");
        sb.Append("Contact: <").Append(contactUri).Append(">\r\n");
        sb.Append("Event: check-sync;reboot=").Append(reboot ? "true" : "false").Append("\r\n");
        sb.Append("Subscription-State: terminated\r\n");
        sb.Append("Content-Length: 0\r\n\r\n");
        return SipTextBuffer.ToBytesAndReturn(sb, []);
    }

    /// <summary>UTF-8 bytes of a URL body (no trailing CRLF by default, like snom's pnpserv).</summary>
    public static byte[] UrlBody(string url, bool appendCrLf = false) =>
        Encoding.UTF8.GetBytes(appendCrLf ? url + "\r\n" : url);
}
