using System.Globalization;
using System.Reflection;
using SnomActors.Transport.Udp;

namespace SnomActors.Server.Metrics;

/// <summary>
/// The PnP core's metrics in Prometheus text format 0.0.4: a pure function of the counters it is
/// given and the time, so tests can pin every line. Names carry the <c>snomactors_</c> prefix and their
/// unit; counters end in <c>_total</c>.
/// </summary>
public static class PrometheusExporter
{
    /// <summary>Shed reasons written as 0 before the first shed request so that <c>rate()</c> has a series from the start.</summary>
    public static readonly IReadOnlyList<string> KnownShedReasons = ["dialog-cap", "notify-queue", "notify-queue-full"];

    /// <summary>NOTIFY outcomes written as 0 before they first happen.</summary>
    public static readonly IReadOnlyList<string> KnownNotifyOutcomes = ["acknowledged", "timeout"];

    private static readonly string Version =
        typeof(PrometheusExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(PrometheusExporter).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>
    /// Writes the PnP core's families, then the UDP transport's (when <paramref name="udp"/> is given),
    /// then each extra source's.
    /// </summary>
    /// <param name="output">Destination of the exposition text.</param>
    /// <param name="pnp">Counters of the router and dialogs.</param>
    /// <param name="udp">Counters of the UDP socket actor; null when the daemon runs another transport.</param>
    /// <param name="now">Scrape time, for the uptime gauge.</param>
    /// <param name="sources">Other components' families (registry, HTTP, process).</param>
    public static void Write(TextWriter output, PnpMetrics pnp, UdpTransportCounters? udp, DateTimeOffset now,
        IEnumerable<IMetricsSource>? sources = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(pnp);
        var w = new PrometheusWriter(output);
        WritePnp(w, pnp, now);
        if (udp is not null) WriteUdp(w, udp);
        foreach (var source in sources ?? []) source.Write(w);
    }

    /// <summary>Convenience for tests and the endpoint: the exposition as one string.</summary>
    public static string ToText(PnpMetrics pnp, UdpTransportCounters? udp, DateTimeOffset now, IEnumerable<IMetricsSource>? sources = null)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        Write(writer, pnp, udp, now, sources);
        return writer.ToString();
    }

    private static void WritePnp(PrometheusWriter w, PnpMetrics m, DateTimeOffset now)
    {
        w.Family("snomactors_build_info", "gauge", "Always 1; the version label says which build answers.");
        w.Sample(1L, ("version", Version));
        w.Gauge("snomactors_start_time_seconds", "When the PnP core started, in seconds since the Unix epoch.",
            m.StartedAt.ToUnixTimeMilliseconds() / 1000.0);
        w.Gauge("snomactors_uptime_seconds", "Seconds since the PnP core started.",
            Math.Max(0, (now - m.StartedAt).TotalSeconds));

        // Every kind is written, at 0 before it first happens, so that rate() has a series from the start.
        w.Family("snomactors_sip_datagrams_received_total", "counter",
            "Datagrams the router received, by kind: subscribe, notify, options, other-request, response, or malformed (not parseable as SIP).");
        for (var i = 0; i < SipDatagramKinds.ReceivedCount; i++)
            w.Sample(m.Received((ReceivedDatagram)i), ("kind", SipDatagramKinds.ReceivedLabels[i]));
        w.Family("snomactors_sip_datagrams_sent_total", "counter",
            "Datagrams the PnP core handed to the transport, by kind: response (codes in snomactors_sip_responses_sent_total), notify (ua-profile) or check-sync-notify; retransmissions included.");
        for (var i = 0; i < SipDatagramKinds.SentCount; i++)
            w.Sample(m.Sent((SentDatagram)i), ("kind", SipDatagramKinds.SentLabels[i]));

        w.Family("snomactors_sip_responses_sent_total", "counter", "SIP responses sent, by status code, retransmitted 200s included.");
        foreach (var (code, count) in m.ResponsesSent.OrderBy(p => p.Key))
            w.Sample(count, ("code", code.ToString(CultureInfo.InvariantCulture)));

        w.Family("snomactors_subscribes_total", "counter",
            "ua-profile SUBSCRIBEs that started or were refused a dialog, by vendor and outcome (accepted, rejected-<code>, silenced, shed).");
        foreach (var ((vendor, outcome), count) in m.Subscribes.OrderBy(p => p.Key.Vendor, StringComparer.Ordinal).ThenBy(p => p.Key.Outcome, StringComparer.Ordinal))
            w.Sample(count, ("vendor", vendor), ("outcome", outcome));

        w.Counter("snomactors_subscribe_retransmissions_total", "SUBSCRIBE retransmissions answered with the stored 200.", m.SubscribeRetransmissions);
        w.Counter("snomactors_notify_retransmissions_total", "NOTIFY retransmissions (RFC 3261 Timer E).", m.NotifyRetransmissions);
        w.Counter("snomactors_notify_timeouts_total", "NOTIFY transactions that timed out without a final response (Timer F).", m.NotifyTimeouts);

        w.Family("snomactors_notify_outcomes_total", "counter", "NOTIFY transactions by outcome: acknowledged, rejected-<code>, timeout.");
        var outcomes = KnownNotifyOutcomes.ToDictionary(o => o, _ => 0L, StringComparer.Ordinal);
        foreach (var (outcome, count) in m.NotifyOutcomes) outcomes[outcome] = count;
        foreach (var (outcome, count) in outcomes.OrderBy(p => p.Key, StringComparer.Ordinal))
            w.Sample(count, ("outcome", outcome));

        w.Family("snomactors_dialogs_live", "gauge", "Subscription dialogs in flight now.");
        w.Sample(Math.Max(0, m.LiveDialogs));
        w.Counter("snomactors_dialogs_started_total", "Subscription dialogs started.", m.DialogsStarted);
        w.Family("snomactors_dialogs_ended_total", "counter", "Subscription dialogs ended, by result: completed (normally, whatever the NOTIFY outcome) or crashed.");
        w.Sample(m.DialogsCompleted, ("result", "completed"));
        w.Sample(m.DialogsCrashed, ("result", "crashed"));

        w.Family("snomactors_shed_requests_total", "counter", "Requests refused or dropped by overload control, by reason.");
        var shed = KnownShedReasons.ToDictionary(r => r, _ => 0L, StringComparer.Ordinal);
        foreach (var (reason, count) in m.Shed) shed[reason] = count;
        foreach (var (reason, count) in shed.OrderBy(p => p.Key, StringComparer.Ordinal))
            w.Sample(count, ("reason", reason));

        w.Family("snomactors_notify_queue_length", "gauge", "NOTIFYs waiting for the pacer to send them.");
        w.Sample(m.NotifyQueue);
        w.Counter("snomactors_notify_coalesced_total", "NOTIFY retransmissions dropped because the same NOTIFY was still waiting in the pacer.", m.NotifiesCoalesced);

        w.Histogram("snomactors_subscribe_to_ok_seconds", "Time from receiving a SUBSCRIBE to sending its 200.", m.SubscribeToOk);
        w.Histogram("snomactors_subscribe_to_notify_ack_seconds", "Time from receiving a SUBSCRIBE to the phone's 200 for our NOTIFY.", m.SubscribeToNotifyAck);
    }

    private static void WriteUdp(PrometheusWriter w, UdpTransportCounters c)
    {
        w.Family("snomactors_udp_datagrams_received_total", "counter", "UDP datagrams received, by destination: unicast (one of our addresses) or multicast (the PnP group or a broadcast).");
        w.Sample(c.DatagramsReceivedUnicast, ("destination", "unicast"));
        w.Sample(c.DatagramsReceivedMulticast, ("destination", "multicast"));
        w.Counter("snomactors_udp_datagrams_sent_total", "UDP datagrams handed to the kernel successfully.", c.DatagramsSent);
        w.Counter("snomactors_udp_send_errors_total", "UDP sends that failed (unreachable, oversize, socket closed).", c.SendErrors);
        w.Counter("snomactors_udp_receive_errors_total", "Transient UDP receive errors that were skipped.", c.ReceiveErrors);
        w.Counter("snomactors_udp_truncated_datagrams_total", "Datagrams dropped because they did not fit the receive buffer.", c.TruncatedDropped);
        w.Counter("snomactors_udp_foreign_interface_datagrams_total", "Group datagrams dropped because they arrived on an interface this daemon did not join the group on.", c.ForeignInterfaceDropped);
        w.Counter("snomactors_udp_binds_total", "Successful socket binds, the first one included.", c.Binds);
        w.Counter("snomactors_udp_bind_failures_total", "Socket bind attempts that failed, retried ones included.", c.BindFailures);
        w.Counter("snomactors_udp_socket_faults_total", "Receive loops that ended with a socket fault (each recreates the socket actor).", c.SocketFaults);
        w.Counter("snomactors_udp_multicast_rejoins_total", "Multicast group joins after the bind, on interfaces that appeared or were recreated.", c.MulticastRejoins);
    }
}
