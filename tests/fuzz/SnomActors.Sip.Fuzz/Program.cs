using SharpFuzz;
using SnomActors.Sip.Fuzz;

// Two modes:
//   (no arguments)     AFL target: afl-fuzz starts this under SharpFuzz's fork server (run-fuzz.sh).
//   --replay PATH...   every file under each PATH (file or directory, recursive) through the same
//                      checks in-process; prints each finding, exit 1 if any. For triage and CI.
if (args.Length > 0 && args[0] == "--replay")
{
    if (args.Length < 2)
    {
        Console.Error.WriteLine("usage: SnomActors.Sip.Fuzz --replay FILE_OR_DIR...");
        return 2;
    }
    return Replay.Run(args[1..]);
}
if (args.Length > 0)
{
    Console.Error.WriteLine("usage: SnomActors.Sip.Fuzz [--replay FILE_OR_DIR...]  (no arguments: AFL target, input on stdin)");
    return 2;
}

// Out-of-process: a StackOverflowException or a crash of the runtime itself kills only the child
// the fork server runs, and afl-fuzz still sees it as a crash.
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    SipFuzzChecks.Run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
});
return 0;

internal static class Replay
{
    public static int Run(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (File.Exists(path)) files.Add(path);
            else if (Directory.Exists(path))
                files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => !IsAflBookkeeping(f))
                    .Order(StringComparer.Ordinal));
            else
            {
                Console.Error.WriteLine($"no such file or directory: {path}");
                return 2;
            }
        }

        var failures = 0;
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            try
            {
                SipFuzzChecks.Run(bytes);
            }
            catch (FuzzFindingException ex)
            {
                failures++;
                Console.WriteLine($"FINDING {file}: {ex.Message}");
                if (ex.InnerException is { } inner) Console.WriteLine(inner.ToString());
                Console.WriteLine("---- input ----");
                Console.WriteLine(SipFuzzChecks.Printable(bytes));
                Console.WriteLine("---------------");
            }
        }
        Console.WriteLine($"replayed {files.Count} inputs, {failures} findings");
        return failures == 0 ? 0 : 1;
    }

    // AFL's output folders hold README.txt and .state files next to the inputs.
    private static bool IsAflBookkeeping(string file)
    {
        var name = Path.GetFileName(file);
        return name is "README.txt" or "README.md" || file.Contains($"{Path.DirectorySeparatorChar}.state{Path.DirectorySeparatorChar}", StringComparison.Ordinal);
    }
}
