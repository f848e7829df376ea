using SnomActors.Http.Hosting;
using SnomActors.Registry.Model;

namespace SnomActors.Http.Api;

/// <summary>Live dialog count from the PnP side (the router knows it); the default reports 0.</summary>
public interface ILiveDialogGauge
{
    /// <summary>Dialogs in flight now.</summary>
    int LiveDialogs { get; }
}

/// <summary>No PnP side wired in.</summary>
public sealed class NoLiveDialogs : ILiveDialogGauge
{
    /// <inheritdoc />
    public int LiveDialogs => 0;
}

/// <summary>
/// Builds the stats object of <c>/api/stats</c> and the SSE <c>stats</c> event. Cached for a
/// fraction of the push interval so fifty open pages cost one registry query, not fifty.
/// </summary>
public sealed class StatsService(RegistryAccess registry, ILiveDialogGauge dialogs, HttpOptions options, TimeProvider time)
{
    /// <summary>Width of the chart.</summary>
    public static readonly TimeSpan TimelineSpan = TimeSpan.FromHours(1);
    /// <summary>One chart point per minute.</summary>
    public static readonly TimeSpan TimelineBucket = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private (DateTimeOffset At, StatsDto Value)? _cached;

    /// <summary>Current stats (at most about half a push interval old).</summary>
    public async Task<StatsDto> GetAsync(CancellationToken ct)
    {
        var maxAge = options.StatsInterval / 2;
        if (_cached is { } c && time.GetUtcNow() - c.At < maxAge) return c.Value;
        await _gate.WaitAsync(ct);
        try
        {
            if (_cached is { } again && time.GetUtcNow() - again.At < maxAge) return again.Value;
            var now = time.GetUtcNow();
            var stats = await registry.GetStatsAsync(ct);
            var timeline = await registry.GetTimelineAsync(now - TimelineSpan, now, TimelineBucket, ct);
            var recent = await registry.ListDevicesAsync(new DeviceQuery(Limit: DeviceFilter.MaxLimit), ct);
            int Count(DeviceState s) => stats.ByState.GetValueOrDefault(s);
            var dto = new StatsDto(
                stats.Total,
                new StateCountsDto(Count(DeviceState.Seen), Count(DeviceState.Answered), Count(DeviceState.Notified),
                    Count(DeviceState.Provisioned), Count(DeviceState.Downloaded), Count(DeviceState.Failed)),
                dialogs.LiveDialogs,
                timeline.Buckets.Select(b => new TimelinePointDto(b.Start, b.Provisioned)).ToList(),
                BootProgress.Compute(recent.Devices, BootProgress.DefaultQuietGap));
            _cached = (now, dto);
            return dto;
        }
        finally { _gate.Release(); }
    }
}
