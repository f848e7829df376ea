using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SnomActors.Benchmarks;

/// <summary>
/// Operations per CPU-second of the calling thread, for machines too busy for wall-clock numbers:
/// BenchmarkDotNet measures elapsed time, which on a shared 2-core box mostly measures the other
/// processes. Thread CPU time (CLOCK_THREAD_CPUTIME_ID) counts only the cycles this loop got, so
/// "per core" throughput can be read off even under load. Run with the <c>throughput</c> argument.
/// </summary>
internal static class CpuTimeThroughput
{
    private const int ClockThreadCpuTime = 3; // CLOCK_THREAD_CPUTIME_ID on Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);

    private static double ThreadCpuSeconds()
    {
        if (!OperatingSystem.IsLinux() || ClockGetTime(ClockThreadCpuTime, out var t) != 0)
            return Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        return t.Seconds + t.Nanoseconds / 1e9;
    }

    public static void Run()
    {
        var sip = new SipBenchmarks();
        sip.Setup();
        var settings = new SettingsBenchmarks();
        settings.Setup();
        var cases = new (string Name, Func<object?> Op)[]
        {
            ("ParseSnomSubscribe", () => sip.ParseSnomSubscribe()),
            ("ParseAndReadPnpFields", () => sip.ParseAndReadPnpFields()),
            ("ParseAndExtractIdentity", () => sip.ParseAndExtractIdentity()),
            ("TransactionKey", () => sip.TransactionKey()),
            ("Build200", () => sip.Build200()),
            ("BuildNotify", () => sip.BuildNotify()),
            ("DialogAndNotify", () => sip.DialogAndNotify()),
            ("RenderSettingsFile", () => settings.RenderSettingsFile()),
        };
        Console.WriteLine($"{"Operation",-26} {"ops per CPU-second",20} {"ns per op (CPU)",16} {"bytes per op",13}");
        foreach (var (name, op) in cases)
        {
            for (var i = 0; i < 20_000; i++) op(); // JIT to tier 1
            var best = double.MaxValue;
            long bytes = 0;
            const int n = 200_000;
            for (var round = 0; round < 5; round++)
            {
                var a0 = GC.GetAllocatedBytesForCurrentThread();
                var c0 = ThreadCpuSeconds();
                for (var i = 0; i < n; i++) op();
                var cpu = ThreadCpuSeconds() - c0;
                bytes = (GC.GetAllocatedBytesForCurrentThread() - a0) / n;
                best = Math.Min(best, cpu / n);
            }
            Console.WriteLine($"{name,-26} {1 / best,20:N0} {best * 1e9,16:N0} {bytes,13:N0}");
        }
    }
}
