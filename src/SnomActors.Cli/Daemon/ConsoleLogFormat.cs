using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;

namespace SnomActors.Cli.Daemon;

/// <summary>
/// Lets the operator's <c>Logging:Console:FormatterName</c> (e.g. <c>json</c> for log shippers,
/// <c>Logging__Console__FormatterName=json</c> in /etc/default/snomactors) win under systemd too.
/// </summary>
public static class ConsoleLogFormat
{
    /// <summary>
    /// Re-applies the configured console formatter. Call after <c>UseSystemd()</c>: that call
    /// configures the systemd formatter unconditionally when the process runs as a service, and
    /// options configured later win.
    /// </summary>
    public static IServiceCollection ApplyConfiguredConsoleFormatter(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var configured = configuration["Logging:Console:FormatterName"];
        if (!string.IsNullOrWhiteSpace(configured))
            services.Configure<ConsoleLoggerOptions>(o => o.FormatterName = configured.Trim());
        return services;
    }
}
