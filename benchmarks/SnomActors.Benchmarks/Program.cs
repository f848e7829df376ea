using BenchmarkDotNet.Running;
using SnomActors.Benchmarks;

// BenchmarkDotNet:  dotnet run -c Release --project benchmarks/SnomActors.Benchmarks -- --filter '*' --job short --inProcess
// CPU-time loop:    dotnet run -c Release --project benchmarks/SnomActors.Benchmarks -- throughput
// (docs/benchmarks.md records the results and the machine they ran on).
if (args is ["throughput"])
{
    CpuTimeThroughput.Run();
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(SipBenchmarks).Assembly).Run(args);
