namespace SnomActors.Server.Metrics;

/// <summary>
/// A component that contributes metric families to <c>/metrics</c> beyond the PnP core's (registry
/// write latency, settings downloads by status, …). Register implementations as
/// <c>IMetricsSource</c> singletons; the endpoint calls every one on each scrape, in registration order.
/// </summary>
/// <remarks>
/// Implementations read their own thread-safe counters and write complete families through
/// <see cref="PrometheusWriter.Family"/> (names prefixed <c>snomactors_</c>, units in the name,
/// <c>_total</c> on counters). They must not block: a scrape runs on a request thread, and a family
/// name may be written by one source only (the writer throws on duplicates).
/// </remarks>
public interface IMetricsSource
{
    /// <summary>Writes this component's metric families.</summary>
    void Write(PrometheusWriter writer);
}
