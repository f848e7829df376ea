using Akka.Actor;
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

/// <summary>The collector's report of a run cut off by its timeout says where the unfinished phones were.</summary>
public sealed class SimulationCollectorTests : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public void Unfinished_phones_are_split_by_the_last_step_they_reached()
    {
        var collector = Sys.ActorOf(SimulationCollector.Props(expectedPhones: 5));
        collector.Tell(new PhoneProgress(0, PhoneStep.Booted));
        collector.Tell(new PhoneProgress(1, PhoneStep.Booted));
        collector.Tell(new PhoneProgress(1, PhoneStep.Answered));
        collector.Tell(new PhoneProgress(2, PhoneStep.Booted));
        collector.Tell(new PhoneProgress(2, PhoneStep.Answered));
        collector.Tell(new PhoneProgress(2, PhoneStep.Notified));
        collector.Tell(new PhoneProgress(3, PhoneStep.Booted));
        var t0 = DateTimeOffset.UnixEpoch;
        collector.Tell(new PhoneResult(3, "000413000003", "snom", "snom360", PhoneOutcome.NoAnswer, null, null, t0, t0, null, null, null, t0, 7, 0, null, 0));
        // Phone 4 never booted.

        collector.Tell(SimulationCollector.GetReport.Instance);
        var report = ExpectMsg<SimulationReport>();

        Assert.Equal(1, report.Outcomes["no-answer"]);
        Assert.Equal(1, report.Outcomes["unfinished(no 200 yet)"]);
        Assert.Equal(1, report.Outcomes["unfinished(no NOTIFY yet)"]);
        Assert.Equal(1, report.Outcomes["unfinished(downloading)"]);
        Assert.Equal(1, report.Outcomes["unfinished(not booted)"]);
        Assert.False(report.Outcomes.ContainsKey("unfinished"));
    }
}
