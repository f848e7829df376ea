using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SnomActors.Transport.Udp;

namespace SnomActors.Server.Metrics;

/// <summary>Serves the Prometheus scrape endpoint from the daemon's Kestrel.</summary>
public static class PrometheusEndpoints
{
    /// <summary>
    /// Maps <c>GET {path}</c> to the text exposition of the PnP core (<see cref="PnpMetrics"/>, required in
    /// DI), the UDP transport (<see cref="UdpTransportCounters"/>, if registered), the process
    /// (<see cref="ProcessMetricsSource"/>) and every registered <see cref="IMetricsSource"/>.
    /// The endpoint is unauthenticated, as scrape targets usually are; restrict it by firewall or
    /// put it behind the admin policy with <c>.RequireAuthorization(...)</c> on the returned builder.
    /// </summary>
    public static IEndpointConventionBuilder MapPrometheusMetrics(this IEndpointRouteBuilder endpoints, string path = "/metrics")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var process = new ProcessMetricsSource();
        return endpoints.MapGet(path, (HttpContext context) =>
        {
            var services = context.RequestServices;
            var pnp = services.GetRequiredService<PnpMetrics>();
            var udp = services.GetService<UdpTransportCounters>();
            var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
            var sources = services.GetServices<IMetricsSource>().Prepend(process);
            using var text = new StringWriter(CultureInfo.InvariantCulture);
            PrometheusExporter.Write(text, pnp, udp, time.GetUtcNow(), sources);
            context.Response.Headers.CacheControl = "no-store";
            return Results.Text(text.ToString(), PrometheusWriter.ContentType);
        }).WithName("PrometheusMetrics").ExcludeFromDescription();
    }
}
