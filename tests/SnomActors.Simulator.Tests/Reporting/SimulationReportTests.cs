using SnomActors.Simulator.Phones;
using SnomActors.Simulator.Reporting;

namespace SnomActors.Simulator.Tests.Reporting;

public sealed class SimulationReportTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static PhoneResult Result(int index, PhoneOutcome outcome, int answerMs, int? status = null) => new(
        index, $"000413{index:x6}", "snom", "snom360", outcome, status, null, T0, T0,
        outcome == PhoneOutcome.Provisioned ? T0.AddMilliseconds(answerMs) : null,
        outcome == PhoneOutcome.Provisioned ? T0.AddMilliseconds(answerMs + 1) : null,
        outcome == PhoneOutcome.Provisioned ? T0.AddMilliseconds(answerMs + 2) : null,
        T0.AddMilliseconds(answerMs + 2), 1, 1, null, 100);

    [Fact]
    public void Percentiles_use_nearest_rank_and_unfinished_phones_are_counted()
    {
        var results = Enumerable.Range(1, 100).Select(i => Result(i, PhoneOutcome.Provisioned, i)).ToList();
        results.Add(Result(101, PhoneOutcome.Rejected, 0, 503));
        var report = SimulationReport.From(results, phones: 103);

        Assert.Equal(100, report.Provisioned);
        Assert.False(report.AllProvisioned);
        Assert.Equal(50, report.SubscribeToAnswer.P50Ms);
        Assert.Equal(95, report.SubscribeToAnswer.P95Ms);
        Assert.Equal(99, report.SubscribeToAnswer.P99Ms);
        Assert.Equal(100, report.SubscribeToAnswer.MaxMs);
        Assert.Equal(1, report.Outcomes["rejected(503)"]);
        Assert.Equal(2, report.Outcomes["unfinished"]);
        Assert.Contains("provisioned: 100" + Environment.NewLine, report.ToTable());
        Assert.Contains("\"provisioned\": 100", report.ToJson());
    }
}
