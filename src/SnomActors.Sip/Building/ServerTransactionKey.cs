using SnomActors.Sip.Headers;
using SnomActors.Sip.Messages;

namespace SnomActors.Sip.Building;

/// <summary>
/// Identifies a server transaction (RFC 3261 §17.2.3) so that a retransmitted SUBSCRIBE is
/// recognised: branch + sent-by + method for RFC 3261 senders; the RFC 2543 tuple otherwise —
/// needed because snom's PnP SUBSCRIBE carries no branch at all.
/// </summary>
public static class ServerTransactionKey
{
    public static string For(SipRequest request)
    {
        var via = request.TopVia;
        // ACK and CANCEL match the INVITE / original transaction by method substitution; we only need SUBSCRIBE.
        if (via.HasRfc3261Branch)
            return string.Concat("3261|", via.Branch, "|", via.SentBy, "|", request.Method);
        return string.Concat("2543|", request.RequestUri.Raw, "|", request.To.Tag, "|", request.From.Tag, "|",
            request.CallId, "|", request.CSeq.ToString(), "|", via.Raw);
    }
}
