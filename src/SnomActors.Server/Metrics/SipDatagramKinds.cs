using SnomActors.Sip.Messages;

namespace SnomActors.Server.Metrics;

/// <summary>
/// What the router received, the <c>kind</c> label of <c>snomactors_sip_datagrams_received_total</c>.
/// A small fixed set, so that each datagram costs one array slot and a scan of port 5060 shows up
/// as a kind of its own (OPTIONS, other requests) instead of inflating the SUBSCRIBEs.
/// </summary>
public enum ReceivedDatagram
{
    /// <summary>SUBSCRIBE: phones asking for their profile, retransmissions included.</summary>
    Subscribe,

    /// <summary>NOTIFY sent to us (phones do not normally send any).</summary>
    Notify,

    /// <summary>OPTIONS: keep-alive probes and SIP scanners.</summary>
    Options,

    /// <summary>Every other request: ACK, CANCEL, INVITE, REGISTER, unknown methods.</summary>
    OtherRequest,

    /// <summary>Responses: the phones' answers to our NOTIFYs and check-sync NOTIFYs.</summary>
    Response,

    /// <summary>Not parseable as SIP (keep-alive CRLFs included).</summary>
    Malformed,
}

/// <summary>What the PnP core sent, the <c>kind</c> label of <c>snomactors_sip_datagrams_sent_total</c>.</summary>
public enum SentDatagram
{
    /// <summary>Responses of every status (see <c>snomactors_sip_responses_sent_total</c> for codes).</summary>
    Response,

    /// <summary>ua-profile NOTIFYs carrying the settings URL, Timer E retransmissions included.</summary>
    Notify,

    /// <summary>Out-of-dialog check-sync NOTIFYs of a resync, Timer E retransmissions included.</summary>
    CheckSyncNotify,
}

/// <summary>Label values of <see cref="ReceivedDatagram"/> and <see cref="SentDatagram"/>, indexed by the enums.</summary>
public static class SipDatagramKinds
{
    /// <summary>Number of <see cref="ReceivedDatagram"/> values.</summary>
    public const int ReceivedCount = (int)ReceivedDatagram.Malformed + 1;

    /// <summary>Number of <see cref="SentDatagram"/> values.</summary>
    public const int SentCount = (int)SentDatagram.CheckSyncNotify + 1;

    /// <summary>Label values of <see cref="ReceivedDatagram"/>, in enum order.</summary>
    public static readonly IReadOnlyList<string> ReceivedLabels = ["subscribe", "notify", "options", "other-request", "response", "malformed"];

    /// <summary>Label values of <see cref="SentDatagram"/>, in enum order.</summary>
    public static readonly IReadOnlyList<string> SentLabels = ["response", "notify", "check-sync-notify"];

    /// <summary>The kind of a parsed request: a switch over a few short method names, no allocation.</summary>
    public static ReceivedDatagram OfRequest(string method) => method switch
    {
        SipMethods.Subscribe => ReceivedDatagram.Subscribe,
        SipMethods.Notify => ReceivedDatagram.Notify,
        SipMethods.Options => ReceivedDatagram.Options,
        _ => ReceivedDatagram.OtherRequest,
    };
}
