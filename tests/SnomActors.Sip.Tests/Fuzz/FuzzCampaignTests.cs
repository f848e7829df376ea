using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace SnomActors.Sip.Tests.Fuzz;

/// <summary>
/// Runs only when <c>SNOMACTORS_FUZZ_SECONDS</c> is set (CI sets it; locally the test shows as
/// skipped with the reason), so that plain <c>dotnet test</c> stays fast and needs no AFL.
/// </summary>
public sealed class FuzzCampaignFactAttribute : FactAttribute
{
    public const string Variable = "SNOMACTORS_FUZZ_SECONDS";

    public FuzzCampaignFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Variable)))
            Skip = $"AFL campaign not run: set {Variable}=60 to run tests/fuzz/run-fuzz.sh (CI sets it)";
    }
}

/// <summary>The bounded AFL campaign in CI (tests/fuzz/run-fuzz.sh).</summary>
public sealed class FuzzCampaignTests(ITestOutputHelper output)
{
    // Installing afl++, restoring the tool and publishing the harness come on top of the fuzzing
    // time; the script's own backstop is SECONDS + 200 s, this one kills the whole tree after that.
    private static readonly TimeSpan SetupAllowance = TimeSpan.FromMinutes(10);

    [FuzzCampaignFact]
    public void A_bounded_afl_campaign_over_the_sip_library_finds_no_crash_and_no_hang()
    {
        var value = Environment.GetEnvironmentVariable(FuzzCampaignFactAttribute.Variable);
        var seconds = int.TryParse(value, out var s) && s > 0 ? s : 60;
        var script = Path.Combine(FuzzPaths.FuzzDirectory, "run-fuzz.sh");
        var psi = new ProcessStartInfo("bash")
        {
            WorkingDirectory = FuzzPaths.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var log = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var budget = TimeSpan.FromSeconds(seconds) + SetupAllowance;
        var finished = process.WaitForExit(budget);
        if (!finished) process.Kill(entireProcessTree: true);
        process.WaitForExit(); // drains the redirected streams
        string text;
        lock (log) text = log.ToString();
        output.WriteLine(text);

        Assert.True(finished, $"run-fuzz.sh {seconds} still running after {budget}; killed\n{text}");
        Assert.True(process.ExitCode == 0, $"run-fuzz.sh {seconds} exited {process.ExitCode} (crashes/hangs are in tests/fuzz/findings/)\n{text}");
    }
}
