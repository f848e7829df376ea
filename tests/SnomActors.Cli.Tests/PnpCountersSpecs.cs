using SnomActors.Cli.Monitor;
using SnomActors.Server.Metrics;

namespace SnomActors.Cli.Tests;

/// <summary>What the monitor reads back from the real exporter's text.</summary>
public sealed class PnpCountersSpecs
{
    [Fact]
    public void Datagram_totals_are_the_sum_over_every_kind_the_exporter_writes()
    {
        var m = new PnpMetrics();
        for (var i = 0; i < 3; i++) m.DatagramReceived(ReceivedDatagram.Subscribe);
        m.DatagramReceived(ReceivedDatagram.Options);
        m.DatagramReceived(ReceivedDatagram.OtherRequest);
        for (var i = 0; i < 2; i++) m.DatagramReceived(ReceivedDatagram.Response);
        m.DatagramReceived(ReceivedDatagram.Malformed);
        for (var i = 0; i < 4; i++) m.DatagramSent(SentDatagram.Response);
        for (var i = 0; i < 5; i++) m.DatagramSent(SentDatagram.Notify);
        m.DatagramSent(SentDatagram.CheckSyncNotify);

        var counters = PnpCounters.FromSamples(MetricsText.Parse(PrometheusExporter.ToText(m, null, m.StartedAt)));

        Assert.Equal(8, counters.DatagramsReceived);
        Assert.Equal(10, counters.DatagramsSent);
    }
}
