using SnomActors.Server.Metrics;

namespace SnomActors.Server.Tests.Metrics;

public sealed class OutcomeLogBudgetSpecs
{
    [Fact]
    public void Beyond_the_budget_lines_are_counted_not_logged_until_the_next_second()
    {
        var budget = new OutcomeLogBudget(3);
        var logged = Enumerable.Range(0, 10).Count(_ => budget.TryTake());
        Assert.Equal(3, logged);
        Assert.Equal(7, budget.Refill());
        Assert.True(budget.TryTake());
        Assert.Equal(0, budget.Refill());
    }
}
