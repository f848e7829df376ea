using SnomActors.Cli.Daemon;

namespace SnomActors.Cli.Tests;

/// <summary>
/// The drain timeout bounds the whole stop, so the wait for dialogs leaves a reserve for the
/// registry's last batch and the rest of the shutdown (a dialog whose phone never answers used to
/// take all of it, and the stop overran by the tail).
/// </summary>
public sealed class GracefulDrainSpecs
{
    [Theory]
    [InlineData(35, 33.0)]  // default: still covers Timer F (32 s) of a NOTIFY sent as the stop began
    [InlineData(12, 10.8)]  // a tenth of the timeout
    [InlineData(3, 2.5)]    // never less than half a second of reserve
    [InlineData(0, 0.0)]    // no drain: stop at once
    public void Dialogs_may_use_the_drain_timeout_less_a_reserve_for_the_rest_of_the_stop(int drainTimeoutSeconds, double expectedSeconds)
    {
        var budget = GracefulDrain.DialogDrainBudget(TimeSpan.FromSeconds(drainTimeoutSeconds));

        Assert.Equal(expectedSeconds, budget.TotalSeconds, precision: 3);
    }
}
