namespace SnomActors.Sip.Tests.Fuzz;

/// <summary>Locates tests/fuzz in the source tree (the corpus is not copied to the test output).</summary>
internal static class FuzzPaths
{
    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    public static string RepositoryRoot => Root.Value;
    public static string FuzzDirectory => Path.Combine(RepositoryRoot, "tests", "fuzz");
    public static string CorpusDirectory => Path.Combine(FuzzDirectory, "corpus");
    public static string RegressionsDirectory => Path.Combine(FuzzDirectory, "regressions");

    /// <summary>Corpus and regression inputs, as paths relative to tests/fuzz, README files excluded.</summary>
    public static IEnumerable<string> Inputs()
    {
        foreach (var dir in new[] { CorpusDirectory, RegressionsDirectory })
        {
            if (!Directory.Exists(dir)) continue;
            foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(file);
                if (name.StartsWith("README", StringComparison.OrdinalIgnoreCase) || name.StartsWith('.')) continue;
                yield return Path.GetRelativePath(FuzzDirectory, file);
            }
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SnomActors.sln")) && Directory.Exists(Path.Combine(dir.FullName, "tests", "fuzz")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"no SnomActors.sln with tests/fuzz above {AppContext.BaseDirectory}");
    }
}
