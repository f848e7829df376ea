using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SnomActors.Registry.Actors;
using SnomActors.Registry.Config;

namespace SnomActors.Http.Hosting;

/// <summary>Ready once the registry has opened its store and loaded the devices (tagged <c>ready</c>).</summary>
public sealed class RegistryHealthCheck(IRequiredActor<DeviceRegistryActorKey> registry) : IHealthCheck
{
    /// <summary>The tag every readiness check carries; <c>/health/ready</c> runs the checks with it.</summary>
    public const string ReadyTag = "ready";

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var actor = await registry.GetAsync(cancellationToken);
            var result = await actor.Ask<DeviceRegistry.ReadyResult>(DeviceRegistry.GetReady.Instance, TimeSpan.FromSeconds(2), cancellationToken);
            return result.Ready ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"registry: {result.Error}");
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return HealthCheckResult.Unhealthy("registry: no answer");
        }
    }
}
