using SnomActors.Sip.Fuzz;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Parsing;
using SnomActors.Sip.Tests.Corpus;

namespace SnomActors.Sip.Tests.Fuzz;

/// <summary>
/// The CI half of the fuzz harness that always runs: every seed and every crash AFL ever found
/// (tests/fuzz/regressions) goes through exactly the checks the AFL target runs.
/// </summary>
public sealed class FuzzCorpusReplayTests
{
    public static TheoryData<string> Inputs()
    {
        var data = new TheoryData<string>();
        foreach (var input in FuzzPaths.Inputs()) data.Add(input);
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Every_seed_and_regression_input_passes_the_fuzz_checks(string input)
    {
        var bytes = File.ReadAllBytes(Path.Combine(FuzzPaths.FuzzDirectory, input));

        var finding = Record.Exception(() => SipFuzzChecks.Run(bytes));

        Assert.True(finding is null, $"{input}: {finding}\n---- input ----\n{SipFuzzChecks.Printable(bytes)}");
    }

    [Fact]
    public void The_seed_corpus_starts_afl_from_real_pnp_subscribes_a_notify_and_rejected_rfc4475_messages()
    {
        // Without parseable seeds AFL would spend its CI minute rediscovering the start line.
        var parsed = new List<SipMessage>();
        var rejected = 0;
        foreach (var input in FuzzPaths.Inputs().Where(i => i.StartsWith("corpus", StringComparison.Ordinal)))
        {
            if (SipParser.TryParse(File.ReadAllBytes(Path.Combine(FuzzPaths.FuzzDirectory, input)), out var message, out _)) parsed.Add(message!);
            else rejected++;
        }

        var subscribes = parsed.OfType<SipRequest>().Where(r => r.Method == SipMethods.Subscribe && r.Event?.Package == "ua-profile").ToList();
        Assert.True(subscribes.Count >= 5, $"{subscribes.Count} ua-profile SUBSCRIBE seeds");
        Assert.Contains(parsed, m => m is SipRequest { Method: "NOTIFY" });
        Assert.Contains(parsed, m => m is SipResponse { StatusCode: 200 });
        Assert.True(rejected >= 5, $"{rejected} seeds the parser rejects");
        Assert.True(File.Exists(Path.Combine(FuzzPaths.FuzzDirectory, "sip.dict")), "the AFL dictionary is missing");
    }

    [Fact]
    public void Every_protos_case_passes_the_fuzz_checks()
    {
        // PROTOS is a ready-made hostile corpus: running it through the stricter fuzz properties
        // (round trip, builders' output parses, no swallowed exception) costs well under a second.
        var findings = new List<string>();
        foreach (var c in ProtosCorpus.Load())
        {
            foreach (var datagram in new[] { c.Request, c.Teardown })
            {
                try { SipFuzzChecks.Run(datagram); }
                catch (FuzzFindingException ex) { findings.Add($"{c}: {ex.Message}"); }
            }
        }

        Assert.True(findings.Count == 0, $"{findings.Count} findings, first ones:\n{string.Join("\n", findings.Take(10))}");
    }
}
