using SnomActors.Server.Metrics;
using SnomActors.Sip.Building;
using SnomActors.Sip.Messages;
using SnomActors.Transport;
using Akka.Actor;

namespace SnomActors.Server.Actors;

/// <summary>
/// Stateless replies shared by the router and the dialogs: the RFC 3261 §8.2 error responses of
/// protocol.md §4.6 and the rule that nothing is ever sent back for a datagram that came to the
/// multicast group unless we provision that phone (protocol.md §1.4).
/// </summary>
internal static class SipReplies
{
    /// <summary>The methods we understand (405/501 must list them, RFC 3261 §20.5).</summary>
    public const string Allow = "SUBSCRIBE, NOTIFY, OPTIONS, ACK, CANCEL";
    public const string AllowEvents = "ua-profile";

    public static readonly SipHeader AllowHeader = new(HeaderNames.Allow, Allow);
    public static readonly SipHeader AllowEventsHeader = new(HeaderNames.AllowEvents, AllowEvents);

    /// <summary>
    /// Sends an error (or stateless 200) response to <paramref name="request"/> — on the unicast path only.
    /// </summary>
    public static void Reply(IActorRef transport, PnpMetrics metrics, SipRequest request, DatagramOrigin origin,
        int status, string? reason = null, IReadOnlyList<SipHeader>? extraHeaders = null, string? toTag = null)
    {
        if (origin.ViaMulticast || request.Method == SipMethods.Ack) return;
        var bytes = SipResponseBuilder.Build(request, origin.Source, status, toTag ?? (status >= 200 ? SipIdentifiers.NewTag() : null), reason, extraHeaders);
        var destination = ResponseRouting.ResponseDestination(request.TopVia, origin.Source);
        transport.Tell(new SipTransport.Send(bytes, destination, origin.LocalAddress));
        metrics.ResponseSent(status);
        metrics.DatagramSent(SentDatagram.Response);
    }

    /// <summary>RFC 3261 §8.2.1: 405 for a method we know but do not implement here, 501 for one we do not know.</summary>
    public static void RejectMethod(IActorRef transport, PnpMetrics metrics, SipRequest request, DatagramOrigin origin)
    {
        var status = SipMethods.IsKnown(request.Method) ? 405 : 501;
        Reply(transport, metrics, request, origin, status, extraHeaders: [AllowHeader]);
    }

    /// <summary>OPTIONS: what we support (RFC 3261 §11.2, RFC 6665 §4.4.4 Allow-Events).</summary>
    public static void AnswerOptions(IActorRef transport, PnpMetrics metrics, SipRequest request, DatagramOrigin origin) =>
        Reply(transport, metrics, request, origin, 200, extraHeaders:
            [AllowHeader, AllowEventsHeader, new SipHeader(HeaderNames.Accept, "application/url")]);
}
