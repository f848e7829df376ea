// The machine these run on (and CI) may have two cores, and the retransmission tests assert timing:
// one collection at a time keeps a daemon's timers from competing with another daemon's load.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
