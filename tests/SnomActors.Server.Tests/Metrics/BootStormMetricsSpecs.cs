using System.Net;
using SnomActors.Server.Messages;
using SnomActors.Server.Metrics;
using SnomActors.Server.Tests.Support;
using SnomActors.Transport;
using Xunit.Abstractions;

namespace SnomActors.Server.Tests.Metrics;

/// <summary>
/// Issue 6: "metrics move as a simulated boot storm runs". Real router and dialogs in virtual time,
/// phones of three vendors, some answering the NOTIFY and some silent; the exposition is scraped
/// during and after the storm.
/// </summary>
public sealed class BootStormMetricsSpecs : PnpSpec
{
    private const int PhonesPerVendor = 4;

    public BootStormMetricsSpecs(ITestOutputHelper output) : base(output) => StartRouter();

    private static (SipText Subscribe, DatagramOriginFactory Origin) Phone(string vendor, int i) => vendor switch
    {
        "snom" => (SipText.Snom360.With("Call-ID", $"storm-snom-{i}@141.41.40.131"), () => ByMulticast()),
        "yealink" => (SipText.YealinkW52P
                .With("Call-ID", $"storm-yealink-{i}@10.1.3.239")
                .With("Via", $"SIP/2.0/UDP 10.1.3.239:5059;branch=z9hG4bKstormy{i}"),
            () => ByMulticast(new IPEndPoint(IPAddress.Parse("10.1.3.239"), 5059))),
        _ => (SipText.GrandstreamGrp2612W
                .With("Call-ID", $"storm-grandstream-{i}@192.168.1.2")
                .With("Via", $"SIP/2.0/UDP 192.168.1.2:5080;branch=z9hG4bKstormg{i};rport"),
            () => ByMulticast(new IPEndPoint(IPAddress.Parse("192.168.1.2"), 5080))),
    };

    private delegate DatagramOrigin DatagramOriginFactory();

    private double Sample(string name, params (string Name, string Value)[] labels)
    {
        var families = ExpositionParser.Parse(PrometheusExporter.ToText(Metrics, null, DateTimeOffset.UtcNow));
        var family = families.Values.Where(f => name == f.Name || name.StartsWith(f.Name + "_", StringComparison.Ordinal))
            .OrderByDescending(f => f.Name.Length).First();
        return family.Samples.Single(s => s.Name == name && s.Labels.Count == labels.Length
                                          && labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value)).Value;
    }

    [Fact]
    public void During_and_after_a_boot_storm_the_exposition_counts_every_exchange_outcome_and_latency()
    {
        var exchanges = new List<(Exchange Exchange, DatagramOriginFactory Origin)>();
        foreach (var vendor in new[] { "snom", "yealink", "grandstream" })
        {
            for (var i = 0; i < PhonesPerVendor; i++)
            {
                var (subscribe, origin) = Phone(vendor, i);
                exchanges.Add((StartExchange(subscribe, origin()), origin));
            }
        }
        const int phones = 3 * PhonesPerVendor;

        // Mid-storm: every phone has its dialog, its 200, and nothing has completed yet.
        Assert.Equal(phones, Sample("snomactors_dialogs_live"));
        Assert.Equal(phones, Sample("snomactors_dialogs_started_total"));
        Assert.Equal(PhonesPerVendor, Sample("snomactors_subscribes_total", ("vendor", "snom"), ("outcome", "accepted")));
        Assert.Equal(PhonesPerVendor, Sample("snomactors_subscribes_total", ("vendor", "yealink"), ("outcome", "accepted")));
        Assert.Equal(PhonesPerVendor, Sample("snomactors_subscribes_total", ("vendor", "grandstream"), ("outcome", "accepted")));
        Assert.Equal(phones, Sample("snomactors_sip_datagrams_received_total", ("kind", "subscribe")));
        Assert.Equal(phones, Sample("snomactors_sip_responses_sent_total", ("code", "200")));
        Assert.Equal(phones, Sample("snomactors_subscribe_to_ok_seconds_count"));
        Assert.Equal(phones, Sample("snomactors_sip_datagrams_sent_total", ("kind", "response"))); // a 200 each
        Assert.Equal(phones, Sample("snomactors_sip_datagrams_sent_total", ("kind", "notify")));   // and a NOTIFY each
        Assert.Equal(0, Sample("snomactors_sip_datagrams_sent_total", ("kind", "check-sync-notify")));
        Assert.Equal(0, Sample("snomactors_subscribe_to_notify_ack_seconds_count"));

        // The last phone of each vendor never answers; the others answer 100 ms in.
        AdvanceTo(0.1);
        var answering = exchanges.Where((_, i) => i % PhonesPerVendor != PhonesPerVendor - 1).ToList();
        foreach (var (exchange, origin) in answering)
        {
            Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast(origin().Source));
            ExpectEvent<NotifyAcknowledged>();
        }
        Settle([.. exchanges.Select(e => e.Exchange.Dialog)]);
        Assert.Equal(answering.Count, Sample("snomactors_notify_outcomes_total", ("outcome", "acknowledged")));
        Assert.Equal(answering.Count, Sample("snomactors_sip_datagrams_received_total", ("kind", "response")));
        Assert.Equal(answering.Count, Sample("snomactors_subscribe_to_notify_ack_seconds_count"));
        // Acknowledged 100 ms after the SUBSCRIBE in virtual time: inside the 0.1 s bucket, not the 0.05 one.
        Assert.Equal(answering.Count, Sample("snomactors_subscribe_to_notify_ack_seconds_bucket", ("le", "0.1")));
        Assert.Equal(0, Sample("snomactors_subscribe_to_notify_ack_seconds_bucket", ("le", "0.05")));

        // Past Timer F (32 s): the silent phones time out, every dialog has ended.
        // Settled at each step, so every timer message is handled at the virtual time it fired.
        var silent = exchanges.Where((_, i) => i % PhonesPerVendor == PhonesPerVendor - 1).Select(e => e.Exchange.Dialog).ToArray();
        for (var t = 0.5; t <= 40; t += 0.5)
        {
            AdvanceTo(t);
            Settle(silent);
        }
        AwaitAssert(() =>
        {
            Assert.Equal(0, Sample("snomactors_dialogs_live"));
            Assert.Equal(phones - answering.Count, Sample("snomactors_notify_timeouts_total"));
        }, TimeSpan.FromSeconds(10));
        Assert.Equal(phones - answering.Count, Sample("snomactors_notify_outcomes_total", ("outcome", "timeout")));
        Assert.Equal(phones, Sample("snomactors_dialogs_ended_total", ("result", "completed")));
        Assert.True(Sample("snomactors_notify_retransmissions_total") >= phones - answering.Count,
            "each silent phone's NOTIFY was retransmitted at least once");
        // Every NOTIFY datagram is the first one or a Timer E retransmission; no response was sent after the 200s.
        Assert.Equal(phones + Sample("snomactors_notify_retransmissions_total"), Sample("snomactors_sip_datagrams_sent_total", ("kind", "notify")));
        Assert.Equal(phones, Sample("snomactors_sip_datagrams_sent_total", ("kind", "response")));
        Assert.Equal(0, Sample("snomactors_shed_requests_total", ("reason", "dialog-cap")));
    }
}
