using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace SnomActors.EndToEnd.Tests.Support;

/// <summary>
/// <c>snomactors simulate … --json</c> as a child process. Both redirected streams are drained as
/// they are written (<c>BeginOutputReadLine</c>/<c>BeginErrorReadLine</c>): a child whose pipe is
/// never read blocks once the pipe buffer (64 KiB) is full. Disposing kills it (by pid) if it still runs.
/// </summary>
internal sealed class SimulateProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _commandLine;

    private SimulateProcess(Process process, string commandLine)
    {
        _process = process;
        _commandLine = commandLine;
    }

    public int Pid => _process.Id;

    /// <summary>Starts <c>dotnet snomactors.dll simulate ARGS --json</c>.</summary>
    public static SimulateProcess Start(IEnumerable<string> simulateArguments)
    {
        var start = new ProcessStartInfo(DaemonPaths.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(DaemonPaths.CliDll);
        start.ArgumentList.Add("simulate");
        foreach (var a in simulateArguments) start.ArgumentList.Add(a);
        start.ArgumentList.Add("--json");
        start.Environment["DOTNET_CONSOLE_ANSI_COLOR"] = "false";
        start.Environment["NO_COLOR"] = "1";

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var simulate = new SimulateProcess(process, $"{start.FileName} {string.Join(' ', start.ArgumentList)}");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (simulate._stdout) simulate._stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (simulate._stderr) simulate._stderr.AppendLine(e.Data); };
        process.Exited += (_, _) =>
        {
            // Exited can fire before the redirected streams are drained; WaitForExit() waits for them too.
            process.WaitForExit();
            simulate._exited.TrySetResult();
        };
        if (!process.Start()) throw new InvalidOperationException($"could not start {simulate._commandLine}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return simulate;
    }

    /// <summary>Waits for the simulator to end and parses its report; kills it and fails when it runs past <paramref name="timeout"/>.</summary>
    public async Task<SimulateReport> WaitForReportAsync(TimeSpan timeout)
    {
        if (await Task.WhenAny(_exited.Task, Task.Delay(timeout)) != _exited.Task)
        {
            Kill();
            throw new TimeoutException($"simulate still ran after {timeout.TotalSeconds:0} s (killed)\n{Describe()}");
        }
        string stdout;
        lock (_stdout) stdout = _stdout.ToString();
        try
        {
            return SimulateReport.Parse(_process.ExitCode, stdout, Describe());
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"simulate printed no JSON report (exit {_process.ExitCode}): {e.Message}\n{Describe()}", e);
        }
    }

    /// <summary>Command line, exit code and both streams, for failure messages.</summary>
    public string Describe()
    {
        string stdout, stderr;
        lock (_stdout) stdout = _stdout.ToString();
        lock (_stderr) stderr = _stderr.ToString();
        var exit = _exited.Task.IsCompleted ? _process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "still running";
        return $"command: {_commandLine}\nexit: {exit}\n--- simulate stdout ---\n{stdout}--- simulate stderr ---\n{stderr}";
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}

/// <summary>The parts of the simulator's JSON report the tests check.</summary>
/// <param name="ExitCode">0 only when every phone was provisioned.</param>
/// <param name="Phones">Phones in the run.</param>
/// <param name="Provisioned">Phones provisioned.</param>
/// <param name="Outcomes">Phones per outcome label (<c>provisioned</c>, <c>download-failed</c>, <c>unfinished(no 200 yet)</c> …).</param>
/// <param name="Context">Command line and output, for failure messages.</param>
internal sealed record SimulateReport(int ExitCode, int Phones, int Provisioned, IReadOnlyDictionary<string, int> Outcomes, string Context)
{
    /// <summary>Phones with outcome <paramref name="label"/>.</summary>
    public int Count(string label) => Outcomes.GetValueOrDefault(label);

    /// <summary>Phones whose outcome is not one of <paramref name="labels"/>, as <c>label=count</c>.</summary>
    public IReadOnlyList<string> OutcomesOtherThan(params string[] labels) =>
        Outcomes.Where(o => o.Value > 0 && !labels.Contains(o.Key)).Select(o => $"{o.Key}={o.Value}").ToList();

    /// <summary><c>provisioned=250, download-failed=2 …</c>.</summary>
    public string Summary => string.Join(", ", Outcomes.Select(o => $"{o.Key}={o.Value}"));

    public static SimulateReport Parse(int exitCode, string stdout, string context)
    {
        // The report is the JSON object on stdout (the header line goes to stderr).
        var start = stdout.IndexOf('{', StringComparison.Ordinal);
        if (start < 0) throw new JsonException("no '{' on stdout");
        using var json = JsonDocument.Parse(stdout[start..]);
        var root = json.RootElement;
        var outcomes = root.GetProperty("outcomes").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
        return new SimulateReport(exitCode, root.GetProperty("phones").GetInt32(), root.GetProperty("provisioned").GetInt32(), outcomes, context);
    }
}
