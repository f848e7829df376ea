namespace SnomActors.Web.Tests;

/// <summary>Finds the repository from the test assembly, so tests serve the page from the source tree.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string WwwRoot => Path.Combine(Root, "src", "SnomActors.Http", "wwwroot");

    /// <summary>docs/screenshots of the repository, or SNOMACTORS_SCREENSHOTS when set.</summary>
    public static string Screenshots =>
        Environment.GetEnvironmentVariable("SNOMACTORS_SCREENSHOTS") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Root, "docs", "screenshots");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SnomActors.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No SnomActors.sln above {AppContext.BaseDirectory}.");
    }
}
