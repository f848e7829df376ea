using System.Globalization;
using SnomActors.Registry.Metrics;
using SnomActors.Registry.Model;
using SnomActors.Server.Metrics;
using SnomActors.Tests.Shared;

namespace SnomActors.Registry.Tests.Metrics;

/// <summary>The registry's families on <c>/metrics</c>: names, types, and that a Prometheus server accepts them.</summary>
public sealed class RegistryMetricsTests
{
    private static string Exposition(RegistryMetrics metrics)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        metrics.Write(new PrometheusWriter(text));
        return text.ToString();
    }

    private static RegistryMetrics SomeWrites()
    {
        var metrics = new RegistryMetrics();
        var batch = new RegistryBatch(["000413000009"], [Support.Devices.Record(1), Support.Devices.Record(2)], [], []);
        metrics.BatchWritten(batch, TimeSpan.FromMilliseconds(0.4));
        metrics.BatchWritten(batch, TimeSpan.FromMilliseconds(70));
        metrics.BatchWritten(batch, TimeSpan.FromSeconds(9)); // beyond the last bound
        metrics.BatchFailed();
        metrics.ChangesDropped(12);
        return metrics;
    }

    [Fact]
    public void The_write_latency_is_a_histogram_in_seconds_with_buckets_from_half_a_millisecond_to_five_seconds()
    {
        var text = Exposition(SomeWrites());

        Assert.Contains("# TYPE snomactors_registry_write_seconds histogram\n", text);
        Assert.Contains("snomactors_registry_write_seconds_bucket{le=\"0.0005\"} 1\n", text);
        Assert.Contains("snomactors_registry_write_seconds_bucket{le=\"0.05\"} 1\n", text);
        Assert.Contains("snomactors_registry_write_seconds_bucket{le=\"0.1\"} 2\n", text);
        Assert.Contains("snomactors_registry_write_seconds_bucket{le=\"5\"} 2\n", text);
        Assert.Contains("snomactors_registry_write_seconds_bucket{le=\"+Inf\"} 3\n", text);
        Assert.Contains("snomactors_registry_write_seconds_count 3\n", text);
        Assert.Contains("# TYPE snomactors_registry_records_written_total counter\n", text);
        Assert.Contains("snomactors_registry_records_written_total{kind=\"device\"} 6\n", text);
        Assert.Contains("snomactors_registry_records_written_total{kind=\"delete\"} 3\n", text);
        Assert.Contains("snomactors_registry_records_written_total{kind=\"event\"} 0\n", text);
        Assert.Contains("snomactors_registry_write_failures_total 1\n", text);
        Assert.Contains("snomactors_registry_dropped_changes_total 12\n", text);
    }

    [SkippableFact]
    public async Task Promtool_check_metrics_accepts_the_registry_families()
    {
        Skip.IfNot(Promtool.Installed, Promtool.NotInstalled);
        await Promtool.AssertAcceptsAsync(Exposition(SomeWrites()));
    }
}
