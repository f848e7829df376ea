using System.Diagnostics;
using SnomActors.Sip.Building;
using SnomActors.Sip.Identity;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Parsing;

namespace SnomActors.Sip.Tests.Corpus;

/// <summary>All 4,527 PROTOS c07-sip cases (request and teardown): parse or typed error, nothing else.</summary>
public sealed class ProtosRobustnessTests
{
    private static readonly IReadOnlyList<ProtosCase> Cases = ProtosCorpus.Load().ToList();

    [Fact]
    public void Every_protos_case_parses_or_yields_a_typed_error_without_the_defensive_catch_and_quickly()
    {
        var catchesBefore = SipParser.DefensiveCatchCount;
        var failures = new List<string>();
        var parsed = 0;
        var errors = 0;
        var slowest = TimeSpan.Zero;
        var slowestCase = -1;
        var total = Stopwatch.StartNew();
        var source = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 5062);

        foreach (var c in Cases)
        {
            foreach (var datagram in new[] { c.Request, c.Teardown })
            {
                var watch = Stopwatch.StartNew();
                try
                {
                    var ok = SipParser.TryParse(datagram, out var message, out var error);
                    if (ok)
                    {
                        parsed++;
                        if (message is null || error is not null) failures.Add($"{c}: inconsistent success");
                        // What the daemon does next with a request must not throw either.
                        if (message is SipRequest request)
                        {
                            _ = request.ToBytes();
                            _ = DeviceIdentityExtractor.Extract(request);
                            _ = ServerTransactionKey.For(request);
                            _ = SipResponseBuilder.Build(request, source, 405, "tag");
                        }
                    }
                    else
                    {
                        errors++;
                        if (message is not null || error is null) failures.Add($"{c}: inconsistent failure");
                        else if (error.StatusCode is not (400 or 505 or 513)) failures.Add($"{c}: status {error.StatusCode}");
                        else _ = SipResponseBuilder.BuildForParseError(error, source, "tag");
                    }
                }
                catch (Exception ex)
                {
                    failures.Add($"{c}: {ex.GetType().Name}: {ex.Message}");
                }
                if (watch.Elapsed > slowest) { slowest = watch.Elapsed; slowestCase = c.Number; }
            }
        }
        total.Stop();

        Assert.Empty(failures);
        Assert.Equal(catchesBefore, SipParser.DefensiveCatchCount);
        Assert.Equal(2 * ProtosCorpus.CaseCount, parsed + errors);
        Assert.True(total.Elapsed < TimeSpan.FromSeconds(10), $"all cases took {total.Elapsed}");
        Assert.True(slowest < TimeSpan.FromSeconds(1), $"case {slowestCase} took {slowest}");
    }

    [Fact]
    public void The_valid_protos_case_and_its_cancel_parse()
    {
        var valid = Cases[0];
        Assert.True(SipParser.TryParse(valid.Request, out var invite, out var error), error?.ToString());
        Assert.Equal(SipMethods.Invite, Assert.IsType<SipRequest>(invite).Method);
        Assert.True(SipParser.TryParse(valid.Teardown, out var cancel, out error), error?.ToString());
        Assert.Equal(SipMethods.Cancel, Assert.IsType<SipRequest>(cancel).Method);
    }

    [Fact]
    public void Oversized_protos_cases_are_rejected_as_too_large_before_any_scanning()
    {
        var oversized = Cases.Where(c => c.Request.Length > 65_535).ToList();
        Assert.NotEmpty(oversized);
        Assert.All(oversized, c =>
        {
            Assert.False(SipParser.TryParse(c.Request, out _, out var error));
            Assert.Equal(SipParseErrorKind.TooLarge, error!.Kind);
        });
    }
}
