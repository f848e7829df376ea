// The in-memory storms are CPU-bound for seconds on xUnit's worker threads, and the real-UDP runs
// measure wall-clock deadlines: run the classes one after another so that neither starves the other
// (a CI run on a loaded machine once starved the UDP farm of every boot before its deadline).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
