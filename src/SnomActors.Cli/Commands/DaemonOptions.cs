using System.CommandLine;
using SnomActors.Cli.Api;

namespace SnomActors.Cli.Commands;

/// <summary>
/// The options every command that talks to a running daemon takes, spelled and defaulted the same
/// way everywhere: <c>--server URL</c>, <c>--data DIR</c> and <c>--token TOKEN</c>.
/// </summary>
public static class DaemonOptions
{
    /// <summary>Environment variable that overrides the default of <c>--server</c>.</summary>
    public const string ServerVariable = "SNOMACTORS_SERVER";

    /// <summary>Environment variable that overrides the default of <c>--data</c>.</summary>
    public const string DataVariable = "SNOMACTORS_DATA";

    /// <summary>Where the packaged daemon keeps its state (systemd StateDirectory=snomactors).</summary>
    public const string PackagedDataDirectory = "/var/lib/snomactors";

    /// <summary><c>--server URL</c>: the daemon's HTTP root.</summary>
    public static Option<string> Server() => new("--server")
    {
        Description = $"The daemon's HTTP address (default ${ServerVariable}, else {DaemonApiClient.DefaultServer}).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } s ? s : DaemonApiClient.DefaultServer,
        HelpName = "URL",
    };

    /// <summary><c>--data DIR</c>: the daemon's state directory, where the CLI finds the admin credential.</summary>
    public static Option<string?> Data() => new("--data")
    {
        Description = $"The daemon's state directory, for its admin credential (default ${DataVariable}, else {PackagedDataDirectory} when it exists, else ./data).",
        HelpName = "DIR",
    };

    /// <summary>
    /// <c>--token TOKEN</c>: the admin credential itself, for a CLI on another machine. Wins over
    /// <c>$SNOMACTORS_TOKEN</c>, which wins over the <c>admin-token</c> file under <c>--data</c>.
    /// </summary>
    public static Option<string?> Token() => new("--token")
    {
        Description = $"The daemon's admin token (default ${AdminCredential.TokenVariable}, else the {AdminCredential.TokenFileName} file under --data).",
        HelpName = "TOKEN",
    };

    /// <summary>The data directory to look in: the option, the environment, the packaged location, ./data.</summary>
    public static string ResolveData(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option)) return option;
        if (Environment.GetEnvironmentVariable(DataVariable) is { Length: > 0 } fromEnvironment) return fromEnvironment;
        return Directory.Exists(PackagedDataDirectory) ? PackagedDataDirectory : "data";
    }
}
