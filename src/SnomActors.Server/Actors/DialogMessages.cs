using System.Net;
using SnomActors.Sip.Messages;
using SnomActors.Transport;

namespace SnomActors.Server.Actors;

/// <summary>Messages between the <see cref="DialogRouter"/> and its <see cref="SubscriptionDialog"/> children.</summary>
public static class DialogMessages
{
    /// <summary>A parsed datagram for one dialog (matched by Call-ID).</summary>
    public sealed record Inbound(SipMessage Message, DatagramOrigin Origin, DateTimeOffset ReceivedAt);

    /// <summary>
    /// Sent by a dialog to its router when its exchange is over (the NOTIFY's final response or Timer
    /// F): the router no longer counts it as live, and answers SUBSCRIBE retransmissions from this
    /// record until <see cref="TimerJExpiresAt"/>.
    /// </summary>
    public sealed record Completed(string CallId, string LocalTag, string TransactionKey, IPAddress LocalAddress, DateTimeOffset TimerJExpiresAt)
    {
        /// <summary>
        /// The transaction is in Completed (RFC 3261 §17.1.2.2) and its actor lives on for Timer K: the
        /// router keeps routing responses for the Call-ID to it until <see cref="TransactionTerminated"/>.
        /// Check-sync transactions do this; a dialog hands Completed to the router (<see cref="NotifyCompletedUntil"/>).
        /// </summary>
        public bool AwaitingTimerK { get; init; }

        /// <summary>
        /// The NOTIFY transaction is in Completed (RFC 3261 §17.1.2.2) until this instant (Timer K):
        /// the router absorbs copies of the final response for the Call-ID until then, the actor
        /// having ended. Null after Timer F, which terminates at once.
        /// </summary>
        public DateTimeOffset? NotifyCompletedUntil { get; init; }
    }

    /// <summary>
    /// Sent by a dialog whose NOTIFY transaction is Terminated (after Timer K, or Timer F): the router
    /// forgets it and stops it. Always follows a <see cref="Completed"/>.
    /// </summary>
    public sealed record TransactionTerminated(string CallId);

    /// <summary>Asks a surviving dialog to re-introduce itself after its router restarted.</summary>
    public sealed record Reattach
    {
        public static readonly Reattach Instance = new();
    }

    /// <summary>
    /// Graceful shutdown: the router sends no new work; a dialog still in Trying/Proceeding ends as
    /// soon as its NOTIFY gets its final response (or Timer F), as it always does.
    /// </summary>
    public sealed record Drain
    {
        public static readonly Drain Instance = new();
    }

    /// <summary>A dialog's answer to <see cref="Reattach"/>.</summary>
    public sealed record Attached(string CallId, string? Mac);

    /// <summary>
    /// Test seam: makes the router or a dialog throw, so that specifications can drive the
    /// supervision paths (a dialog stopped alone, a router restarted with its dialogs kept).
    /// Nothing in the daemon sends it.
    /// </summary>
    internal sealed record CrashForTest(string Reason);
}
