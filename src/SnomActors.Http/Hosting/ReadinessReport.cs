using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SnomActors.Http.Hosting;

/// <summary>
/// The body of <c>/health/ready</c>: JSON that <c>snomactors status</c> prints and <c>monitor</c>
/// shows ("ready (SIP 0.0.0.0:5060)", or "NOT READY (why)"), instead of ASP.NET's bare
/// "Healthy"/"Unhealthy":
/// <c>{"status":"ready","sip":["0.0.0.0:5060"],"checks":{"registry":"Healthy","sip":"Healthy"}}</c>,
/// or with status <c>"not ready"</c> and a <c>detail</c> naming what is missing (HTTP 503).
/// </summary>
public static class ReadinessReport
{
    /// <summary>Key in a check's <see cref="HealthReportEntry.Data"/> holding the bound SIP endpoints (string[]).</summary>
    public const string SipEndpointsKey = "sip";

    /// <summary>A <c>HealthCheckOptions.ResponseWriter</c>.</summary>
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);
        var ready = report.Status == HealthStatus.Healthy;
        var sip = report.Entries.Values
            .SelectMany(e => e.Data.TryGetValue(SipEndpointsKey, out var v) && v is IEnumerable<string> endpoints ? endpoints : [])
            .ToArray();
        var problems = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy)
            .Select(e => e.Value.Description ?? $"{e.Key}: {e.Value.Status}")
            .ToArray();
        var body = new Dictionary<string, object?>
        {
            ["status"] = ready ? "ready" : "not ready",
            ["sip"] = sip,
            ["checks"] = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status.ToString()),
        };
        if (problems.Length > 0) body["detail"] = string.Join("; ", problems);
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}
