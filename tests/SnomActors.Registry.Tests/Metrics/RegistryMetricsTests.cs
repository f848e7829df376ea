using System.Diagnostics;
using System.Globalization;
using SnomActors.Registry.Metrics;
using SnomActors.Registry.Model;
using SnomActors.Server.Metrics;

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
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, "promtool")));
        Skip.IfNot(onPath, "promtool not installed (Debian: apt-get install prometheus)");
        var text = Exposition(SomeWrites());

        var psi = new ProcessStartInfo("promtool", ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var promtool = Process.Start(psi)!;
        var stdout = promtool.StandardOutput.ReadToEndAsync();
        var stderr = promtool.StandardError.ReadToEndAsync();
        await promtool.StandardInput.WriteAsync(text);
        promtool.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await promtool.WaitForExitAsync(timeout.Token);
        var report = await stdout + await stderr;
        Assert.True(promtool.ExitCode == 0 && report.Trim().Length == 0, $"promtool check metrics (exit {promtool.ExitCode}):\n{report}\n---\n{text}");
    }
}
