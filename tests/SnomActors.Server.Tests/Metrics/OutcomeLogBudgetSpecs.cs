using SnomActors.Server.Metrics;

namespace SnomActors.Server.Tests.Metrics;

/// <summary>
/// The rate limit of the one-line-per-dialog logs (issue 6 item 5: "rate-limited summaries under
/// floods"): the dialogs take from the budget, the router refills it every second and writes the
/// returned count as one summary line.
/// </summary>
public sealed class OutcomeLogBudgetSpecs
{
    [Fact]
    public void A_second_allows_the_budget_in_full_lines_and_counts_the_rest_for_the_summary()
    {
        var budget = new OutcomeLogBudget(50);

        var logged = Enumerable.Range(0, 180).Count(_ => budget.TryTake());

        Assert.Equal(50, logged);
        Assert.Equal(130, budget.Refill());
    }

    [Fact]
    public void Refilling_starts_a_new_second_with_the_full_budget_and_a_quiet_second_has_nothing_to_summarise()
    {
        var budget = new OutcomeLogBudget(3);
        for (var i = 0; i < 5; i++) budget.TryTake();
        Assert.Equal(2, budget.Refill());

        Assert.Equal([true, true, true, false], Enumerable.Range(0, 4).Select(_ => budget.TryTake()));
        Assert.Equal(1, budget.Refill());
        Assert.Equal(0, budget.Refill()); // no dialog ended in that second: no summary line
        Assert.True(budget.TryTake());
    }

    [Fact]
    public async Task Dialogs_ending_on_many_threads_at_once_get_exactly_the_budget_and_every_other_one_is_counted()
    {
        // Dialog actors finish on the dispatcher's threads concurrently during a storm.
        var budget = new OutcomeLogBudget(50);
        var logged = 0;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 1_000; i++)
                if (budget.TryTake()) Interlocked.Increment(ref logged);
        })));

        Assert.Equal(50, logged);
        Assert.Equal(8_000 - 50, budget.Refill());
    }
}
