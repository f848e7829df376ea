using System.Diagnostics;

namespace SnomActors.Server.Metrics;

/// <summary>
/// The daemon process's own resources (start time, CPU, memory, GC, thread pool), so that a
/// boot storm's cost shows next to its PnP counters without a separate exporter.
/// </summary>
public sealed class ProcessMetricsSource : IMetricsSource
{
    private static readonly double StartTimeSeconds = ReadStartTime();

    /// <inheritdoc />
    public void Write(PrometheusWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        using var process = Process.GetCurrentProcess();
        writer.Gauge("snomactors_process_start_time_seconds", "Start time of the process in seconds since the Unix epoch.", StartTimeSeconds);
        writer.Family("snomactors_process_cpu_seconds_total", "counter", "User and system CPU time spent by the process, in seconds.");
        writer.Sample(process.TotalProcessorTime.TotalSeconds);
        writer.Gauge("snomactors_process_resident_memory_bytes", "Resident set size of the process in bytes.", process.WorkingSet64);
        writer.Gauge("snomactors_dotnet_gc_heap_bytes", "Bytes of managed heap in use, as of the last garbage collection.", GC.GetGCMemoryInfo().HeapSizeBytes);
        writer.Family("snomactors_dotnet_gc_collections_total", "counter", "Garbage collections since the process started, by generation.");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
            writer.Sample((long)GC.CollectionCount(generation), ("generation", generation.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        writer.Gauge("snomactors_dotnet_threadpool_threads", "Thread-pool threads that exist now.", ThreadPool.ThreadCount);
        writer.Family("snomactors_dotnet_threadpool_queue_length", "gauge", "Work items queued to the thread pool and not yet started.");
        writer.Sample(ThreadPool.PendingWorkItemCount);
    }

    private static double ReadStartTime()
    {
        try
        {
            using var process = Process.GetCurrentProcess();
            return new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception)
        {
            // Some sandboxes hide /proc/self/stat; the PnP core's own start time is still exported.
            return DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        }
    }
}
