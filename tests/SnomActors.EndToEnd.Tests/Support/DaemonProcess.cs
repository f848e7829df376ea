using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace SnomActors.EndToEnd.Tests.Support;

/// <summary>
/// The real <c>snomactors run</c> as a child process (optionally inside a network namespace via
/// <c>ip netns exec</c>, which execs, so <see cref="Pid"/> is the daemon itself). Collects its
/// console log, waits for the SIP socket, stops it with SIGTERM and reports exit code and time.
/// Disposing kills it (by pid) if it is still running.
/// </summary>
internal sealed partial class DaemonProcess : IDisposable
{
    private const int SigTerm = 15;
    private const int SigInt = 2;
    private const int MaxKeptLines = 4000;

    private readonly Process _process;
    private readonly Queue<string> _lines = new();
    private readonly TaskCompletionSource<string> _sipBound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _commandLine;

    private DaemonProcess(Process process, string commandLine)
    {
        _process = process;
        _commandLine = commandLine;
    }

    /// <summary>The daemon's pid (with <c>ip netns exec</c>: the daemon's too, ip execs it).</summary>
    public int Pid => _process.Id;

    /// <summary>The first child of <see cref="Pid"/> (the daemon, when started under a parent shell), or null.</summary>
    public int? ChildPid()
    {
        try
        {
            var children = File.ReadAllText($"/proc/{Pid}/task/{Pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return children.Length > 0 ? int.Parse(children[0], System.Globalization.CultureInfo.InvariantCulture) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Sends SIGTERM to <paramref name="pid"/> (a process this test started).</summary>
    public static void Sigterm(int pid)
    {
        if (kill(pid, SigTerm) != 0)
            throw new InvalidOperationException($"kill({pid}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>True once the process has ended.</summary>
    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>The UDP port from the daemon's "SIP transport bound on ADDR:PORT" log line (valid after <see cref="WaitForSipBoundAsync"/>).</summary>
    public int SipPort { get; private set; }

    /// <summary>
    /// Starts <c>dotnet snomactors.dll run ARGS</c> in <paramref name="workingDirectory"/>; with
    /// <paramref name="networkNamespace"/>, inside that namespace; <paramref name="environment"/> adds or
    /// replaces variables of the daemon's environment (e.g. systemd's NOTIFY_SOCKET).
    /// </summary>
    /// <param name="parentShell">
    /// Run the daemon as a child of this shell (a <c>sh</c>, e.g. a link to /bin/sh named
    /// <c>systemd</c>, which is how .NET recognises a systemd service) instead of directly;
    /// <see cref="Pid"/> is then the shell's, <see cref="ChildPid"/> the daemon's.
    /// </param>
    public static DaemonProcess Start(IEnumerable<string> runArguments, string workingDirectory, string? networkNamespace = null,
        IReadOnlyDictionary<string, string>? environment = null, string? parentShell = null)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        if (networkNamespace is not null)
        {
            start.FileName = "ip";
            foreach (var a in new[] { "netns", "exec", networkNamespace, DaemonPaths.DotnetHost }) start.ArgumentList.Add(a);
        }
        else if (parentShell is not null)
        {
            // The shell stays the parent (no exec) and exits with the daemon's status.
            start.FileName = parentShell;
            foreach (var a in new[] { "-c", "\"$@\" & wait $!", "launcher", DaemonPaths.DotnetHost }) start.ArgumentList.Add(a);
        }
        else
        {
            start.FileName = DaemonPaths.DotnetHost;
        }
        start.ArgumentList.Add(DaemonPaths.CliDll);
        start.ArgumentList.Add("run");
        foreach (var a in runArguments) start.ArgumentList.Add(a);
        // Plain, uncoloured console lines whatever the CI terminal says.
        start.Environment["DOTNET_CONSOLE_ANSI_COLOR"] = "false";
        start.Environment["NO_COLOR"] = "1";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;

        var commandLine = $"{start.FileName} {string.Join(' ', start.ArgumentList)}";
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var daemon = new DaemonProcess(process, commandLine);
        process.OutputDataReceived += (_, e) => daemon.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => daemon.OnLine(e.Data);
        process.Exited += (_, _) => daemon.OnExited();
        if (!process.Start()) throw new InvalidOperationException($"could not start {commandLine}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return daemon;
    }

    /// <summary>Waits for the "SIP transport bound on …" line; fails with the log if the daemon exits or times out first.</summary>
    public async Task<string> WaitForSipBoundAsync(TimeSpan timeout)
    {
        var first = await Task.WhenAny(_sipBound.Task, _exited.Task, Task.Delay(timeout));
        if (first == _sipBound.Task) return await _sipBound.Task;
        if (first == _exited.Task)
            throw new InvalidOperationException($"daemon exited with {await _exited.Task} before binding SIP.\n{Describe()}");
        throw new TimeoutException($"daemon did not bind SIP within {timeout}.\n{Describe()}");
    }

    /// <summary>Polls <c>GET /health/ready</c> until 200.</summary>
    public async Task WaitForReadyAsync(HttpClient http, Uri baseUri, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var ready = new Uri(baseUri, "/health/ready");
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (HasExited) throw new InvalidOperationException($"daemon exited with {await _exited.Task} before ready.\n{Describe()}");
            try
            {
                using var response = await http.GetAsync(ready);
                if (response.StatusCode == HttpStatusCode.OK) return;
                last = $"{(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{ready} not 200 within {timeout} (last: {last}).\n{Describe()}");
    }

    /// <summary>
    /// Sends SIGTERM and waits up to <paramref name="timeout"/>. Returns the exit code and how long it
    /// took, or null when it did not stop (it is then killed).
    /// </summary>
    public async Task<(int ExitCode, TimeSpan Elapsed)?> TerminateAsync(TimeSpan timeout)
    {
        if (HasExited) return (await _exited.Task, TimeSpan.Zero);
        var watch = Stopwatch.StartNew();
        if (kill(Pid, SigTerm) != 0 && !HasExited)
            throw new InvalidOperationException($"kill({Pid}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        var first = await Task.WhenAny(_exited.Task, Task.Delay(timeout));
        if (first == _exited.Task)
        {
            var code = await _exited.Task;
            return (code, watch.Elapsed);
        }
        Kill();
        return null;
    }

    /// <summary>Sends SIGINT (by pid) without waiting: what Ctrl-C in a terminal does.</summary>
    public void SendSigint()
    {
        if (kill(Pid, SigInt) != 0 && !HasExited)
            throw new InvalidOperationException($"kill({Pid}, SIGINT) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Sends SIGTERM (by pid) without waiting.</summary>
    public void SendSigterm()
    {
        if (kill(Pid, SigTerm) != 0 && !HasExited)
            throw new InvalidOperationException($"kill({Pid}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>The exit code, or null if the process still runs after <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        var first = await Task.WhenAny(_exited.Task, Task.Delay(timeout));
        return first == _exited.Task ? await _exited.Task : null;
    }

    /// <summary>The daemon's resident set size from /proc/PID/status (VmRSS), in bytes.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
            var kb = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            return kb * 1024;
        }
        throw new InvalidOperationException($"no VmRSS in /proc/{Pid}/status");
    }

    /// <summary>The log lines seen so far containing <paramref name="text"/>.</summary>
    public IReadOnlyList<string> LinesContaining(string text)
    {
        lock (_lines) return _lines.Where(l => l.Contains(text, StringComparison.Ordinal)).ToList();
    }

    /// <summary>Command line plus the last log lines, for failure messages.</summary>
    public string Describe(int lastLines = 60)
    {
        lock (_lines)
        {
            var tail = _lines.Skip(Math.Max(0, _lines.Count - lastLines));
            return $"command: {_commandLine}\npid: {Pid}\n--- daemon log (last {lastLines} lines) ---\n{string.Join('\n', tail)}";
        }
    }

    /// <summary>Kills the daemon (SIGKILL, by pid) if it still runs.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
            // A process killed in the middle of a disk write (SQLite fsync on a busy CI disk) only goes
            // once the write returns: allow for that before anyone asserts it has gone.
            _process.WaitForExit(30_000);
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

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_lines)
        {
            _lines.Enqueue(line);
            while (_lines.Count > MaxKeptLines) _lines.Dequeue();
        }
        var bound = SipBoundLine().Match(line);
        if (bound.Success && !_sipBound.Task.IsCompleted)
        {
            SipPort = int.Parse(bound.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
            _sipBound.TrySetResult(line);
        }
    }

    private void OnExited()
    {
        // Exited fires before the redirected streams are drained; WaitForExit() waits for them too.
        _process.WaitForExit();
        _exited.TrySetResult(_process.ExitCode);
    }

    [GeneratedRegex(@"SIP transport bound on [^;]*?:(?<port>\d+)")]
    private static partial Regex SipBoundLine();

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // DllImport keeps the test project free of AllowUnsafeBlocks.
    private static extern int kill(int pid, int sig);
#pragma warning restore SYSLIB1054
}
