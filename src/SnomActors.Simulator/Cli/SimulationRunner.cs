using System.Globalization;
using Akka.Actor;
using SnomActors.Simulator.Phones;
using SnomActors.Simulator.Reporting;

namespace SnomActors.Simulator.Cli;

/// <summary>
/// Runs a <see cref="SimulationRun"/> of <c>snomactors simulate</c> with a progress bar, bounded by the timeout.
/// </summary>
public static class SimulationRunner
{
    /// <summary>Runs and returns the report (phones still running at the timeout count as unfinished).</summary>
    public static Task<SimulationReport> RunAsync(SimulateSettings settings, TextWriter? progressWriter, CancellationToken cancellationToken) =>
        RunAsync(settings, PhonePlanner.Plan(settings.Mix, settings.Phones, settings.Seed), progressWriter, cancellationToken);

    /// <summary>As <see cref="RunAsync(SimulateSettings, TextWriter?, CancellationToken)"/> with the phones given (<c>--macs</c>).</summary>
    public static async Task<SimulationReport> RunAsync(SimulateSettings settings, IReadOnlyList<PhoneIdentity> phones, TextWriter? progressWriter, CancellationToken cancellationToken)
    {
        var run = SimulationRun.Start(settings, phones, cancellationToken);
        using var drawing = new CancellationTokenSource();
        var progress = progressWriter is null ? Task.CompletedTask : DrawProgressAsync(run, progressWriter, drawing.Token);
        var report = await run.Completion.ConfigureAwait(false);
        await drawing.CancelAsync().ConfigureAwait(false);
        await progress.ConfigureAwait(false);
        if (progressWriter is not null)
            await progressWriter.WriteLineAsync(FormatProgress(await run.GetProgressAsync(CancellationToken.None).ConfigureAwait(false))).ConfigureAwait(false);
        return report;
    }

    private static async Task DrawProgressAsync(SimulationRun run, TextWriter writer, CancellationToken token)
    {
        try
        {
            while (!token.IsCancellationRequested && !run.Completion.IsCompleted)
            {
                var p = await run.GetProgressAsync(token).ConfigureAwait(false);
                await writer.WriteAsync("\r" + FormatProgress(p) + "\u001b[K").ConfigureAwait(false);
                await writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                await Task.Delay(200, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (AskTimeoutException)
        {
        }
        await writer.WriteAsync("\r").ConfigureAwait(false);
    }

    /// <summary><c>[########------------] booted 500/1000 answered 480 notified 470 downloaded 460</c>.</summary>
    public static string FormatProgress(SimulationCollector.Progress p)
    {
        const int width = 24;
        var done = p.Expected == 0 ? width : (int)Math.Round(width * (double)p.Finished / p.Expected);
        var bar = new string('#', Math.Clamp(done, 0, width)) + new string('-', width - Math.Clamp(done, 0, width));
        return string.Create(CultureInfo.InvariantCulture,
            $"[{bar}] booted {p.Booted}/{p.Expected}  answered {p.Answered}  notified {p.Notified}  downloaded {p.Downloaded}  provisioned {p.Provisioned}");
    }
}
