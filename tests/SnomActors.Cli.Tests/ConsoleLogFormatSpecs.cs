using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using SnomActors.Cli.Daemon;

namespace SnomActors.Cli.Tests;

public sealed class ConsoleLogFormatSpecs
{
    private static string FormatterAfter(Dictionary<string, string?> settings, bool apply)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddConfiguration(configuration.GetSection("Logging")).AddConsole());
        // What UseSystemd() does when the process runs under systemd.
        services.Configure<ConsoleLoggerOptions>(o => o.FormatterName = ConsoleFormatterNames.Systemd);
        if (apply) services.ApplyConfiguredConsoleFormatter(configuration);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<ConsoleLoggerOptions>>().Value.FormatterName!;
    }

    [Fact]
    public void A_configured_json_formatter_wins_over_the_systemd_formatter_set_before_it()
    {
        var json = new Dictionary<string, string?> { ["Logging:Console:FormatterName"] = "json" };
        Assert.Equal(ConsoleFormatterNames.Systemd, FormatterAfter(json, apply: false)); // the problem
        Assert.Equal(ConsoleFormatterNames.Json, FormatterAfter(json, apply: true));     // the fix
    }

    [Fact]
    public void Without_a_configured_formatter_the_systemd_one_stays()
    {
        Assert.Equal(ConsoleFormatterNames.Systemd, FormatterAfter([], apply: true));
    }
}
