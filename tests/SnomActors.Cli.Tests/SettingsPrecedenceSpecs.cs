using Microsoft.Extensions.Configuration;
using SnomActors.Cli.Daemon;

namespace SnomActors.Cli.Tests;

/// <summary>
/// The daemon's settings layers (docs/operator-guide.md, "Precedence: flags over environment over
/// --config over built-in defaults"): what the packaged unit relies on when an operator overrides the
/// installed /etc/snomactors/snomactors.json from /etc/default/snomactors or a drop-in.
/// </summary>
public sealed class SettingsPrecedenceSpecs : IDisposable
{
    // A key no other test or setting uses: the process environment is shared by parallel tests.
    private readonly string _key = $"SnomActors:PrecedenceProbe{Guid.NewGuid():N}";
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"snomactors-precedence-{Guid.NewGuid():N}.json");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_key.Replace(":", "__", StringComparison.Ordinal), null);
        File.Delete(_file);
    }

    private string Resolve(bool environment, bool flag)
    {
        var name = _key.Split(':')[1];
        File.WriteAllText(_file, $$"""{ "SnomActors": { "{{name}}": "from-config-file" } }""");
        Environment.SetEnvironmentVariable(_key.Replace(":", "__", StringComparison.Ordinal), environment ? "from-environment" : null);
        // As WebApplication.CreateBuilder: appsettings first, then the environment.
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(new Dictionary<string, string?> { [_key] = "from-defaults" });
        configuration.AddEnvironmentVariables();
        var overrides = new Dictionary<string, string?>();
        if (flag) overrides[_key] = "from-flag";

        DaemonHost.AddSettingsLayers(configuration, new FileInfo(_file), overrides);

        return configuration[_key]!;
    }

    [Fact]
    public void The_environment_wins_over_the_config_file_and_a_flag_wins_over_both()
    {
        Assert.Equal("from-config-file", Resolve(environment: false, flag: false));
        Assert.Equal("from-environment", Resolve(environment: true, flag: false));
        Assert.Equal("from-flag", Resolve(environment: true, flag: true));
    }
}
