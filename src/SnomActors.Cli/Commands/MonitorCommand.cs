using System.CommandLine;
using System.Runtime.InteropServices;
using SnomActors.Cli.Api;
using SnomActors.Cli.Monitor;

namespace SnomActors.Cli.Commands;

/// <summary>
/// <c>snomactors monitor [--server URL] [--data DIR] [--interval SECONDS] [--once]</c>: a live view of a
/// running daemon, redrawn in place every interval like <c>serctl monitor</c> (q or Ctrl-C quits).
/// With <c>--once</c>, or when stdout is not a terminal, frames are plain text without cursor control
/// (<c>--once</c> prints one and exits: for scripts and tests).
/// </summary>
public static class MonitorCommand
{
    // ANSI/VT100: alternate screen and hidden cursor while running, restored on exit; each frame
    // homes the cursor and clears what the previous, possibly longer, frame left.
    private const string EnterScreen = "\u001b[?1049h\u001b[?25l";
    private const string LeaveScreen = "\u001b[?25h\u001b[?1049l";
    private const string Home = "\u001b[H";
    private const string ClearToEndOfLine = "\u001b[K";
    private const string ClearBelow = "\u001b[J";

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var server = DaemonOptions.Server();
        var data = DaemonOptions.Data();
        var token = DaemonOptions.Token();
        var interval = new Option<double>("--interval")
        {
            Description = "Seconds between refreshes (default 1).",
            DefaultValueFactory = _ => 1.0,
            HelpName = "SECONDS",
        };
        interval.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is < 0.1 or > 3600) r.AddError("--interval must be between 0.1 and 3600 seconds.");
        });
        var once = new Option<bool>("--once") { Description = "Print one frame as plain text and exit." };
        var command = new Command("monitor", "Live view of a running daemon: uptime, dialogs, exchanges per second, responses by class, recent devices and failures.")
        {
            server, data, token, interval, once,
        };
        command.SetAction((result, cancellation) =>
        {
            var output = result.InvocationConfiguration.Output;
            var error = result.InvocationConfiguration.Error;
            var interactive = !result.GetValue(once) && ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
            var settings = new MonitorSettings(TimeSpan.FromSeconds(result.GetValue(interval)), result.GetValue(once), interactive);
            return DaemonApiClient.RunAsync("monitor", result.GetValue(server), DaemonOptions.ResolveData(result.GetValue(data)), result.GetValue(token), error,
                client => RunAsync(client, output, settings, TimeProvider.System, cancellation));
        });
        return command;
    }

    /// <summary>How the monitor runs.</summary>
    /// <param name="Interval">Time between frames.</param>
    /// <param name="Once">One frame, then exit.</param>
    /// <param name="Interactive">Redraw in place on a terminal (ANSI); otherwise frames follow each other.</param>
    public sealed record MonitorSettings(TimeSpan Interval, bool Once, bool Interactive);

    /// <summary>
    /// The monitor loop. Throws <see cref="DaemonApiException"/> when the first fetch fails (wrong
    /// <c>--server</c>, daemon down); later failures keep the last frame on screen with a warning, so
    /// the view survives a daemon restart.
    /// </summary>
    public static async Task<int> RunAsync(DaemonApiClient client, TextWriter output, MonitorSettings settings, TimeProvider time, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(time);

        var first = await MonitorSnapshot.FetchAsync(client, time, cancellation);
        if (settings.Once)
        {
            await output.WriteAsync(MonitorRenderer.Render(first, null, TerminalWidth(interactive: false)));
            await output.FlushAsync(cancellation);
            return 0;
        }

        // Program.cs leaves SIGINT/SIGTERM to the daemon's host, so the monitor handles them itself:
        // stop the loop and restore the terminal instead of dying with the cursor hidden.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; stop.Cancel(); });
        if (settings.Interactive) await output.WriteAsync(EnterScreen);
        try
        {
            MonitorSnapshot? previous = null;
            var current = first;
            while (true)
            {
                await DrawAsync(output, MonitorRenderer.Render(current, previous, TerminalWidth(settings.Interactive)), settings.Interactive,
                    settings.Interactive ? "q or Ctrl-C quits" : null);
                if (!await WaitAsync(settings.Interval, settings.Interactive, stop.Token)) return 0;
                try
                {
                    var next = await MonitorSnapshot.FetchAsync(client, time, stop.Token);
                    previous = current;
                    current = next;
                }
                catch (DaemonApiException ex)
                {
                    // Keep the last numbers (no rate: there is no new sample) and say what is wrong.
                    previous = null;
                    current = current with
                    {
                        At = time.GetUtcNow(),
                        Warnings = [$"{ex.Title}: {ex.Detail} (showing the last answer; retrying)"],
                    };
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            if (settings.Interactive)
            {
                await output.WriteAsync(LeaveScreen);
                await output.FlushAsync(CancellationToken.None);
            }
        }
    }

    private static async Task DrawAsync(TextWriter output, string frame, bool interactive, string? footer)
    {
        if (!interactive)
        {
            await output.WriteAsync(frame);
            await output.WriteAsync('\n');
            await output.FlushAsync();
            return;
        }
        var screen = new System.Text.StringBuilder(Home);
        foreach (var line in frame.TrimEnd('\n').Split('\n')) screen.Append(line).Append(ClearToEndOfLine).Append('\n');
        if (footer is not null) screen.Append('\n').Append(footer).Append(ClearToEndOfLine);
        screen.Append(ClearBelow);
        await output.WriteAsync(screen.ToString());
        await output.FlushAsync();
    }

    /// <summary>Waits one interval; false when the user asked to quit (q, Ctrl-C, SIGTERM).</summary>
    private static async Task<bool> WaitAsync(TimeSpan interval, bool interactive, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + interval;
        while (DateTime.UtcNow < deadline)
        {
            if (interactive && !Console.IsInputRedirected)
            {
                while (Console.KeyAvailable)
                {
                    var key = Console.ReadKey(intercept: true);
                    if (key.Key is ConsoleKey.Q or ConsoleKey.Escape) return false;
                }
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) break;
            try
            {
                await Task.Delay(left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100), cancellation);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return !cancellation.IsCancellationRequested;
    }

    private static int TerminalWidth(bool interactive)
    {
        if (interactive)
        {
            try
            {
                if (Console.WindowWidth is > 0 and var columns) return columns;
            }
            catch (IOException)
            {
                // No terminal after all; fall through to $COLUMNS.
            }
        }
        return int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var fromEnvironment) && fromEnvironment > 0 ? fromEnvironment : 100;
    }
}
