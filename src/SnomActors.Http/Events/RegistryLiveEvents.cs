using System.Text.Json;
using SnomActors.Http.Api;
using SnomActors.Registry.Actors;

namespace SnomActors.Http.Events;

/// <summary>The registry's EventStream messages the live page shows.</summary>
public static class RegistryLiveEvents
{
    /// <summary>SSE event type of a changed device (data: Device JSON).</summary>
    public const string Device = "device";
    /// <summary>SSE event type of a deleted device (data: <c>{ "mac": ... }</c>).</summary>
    public const string Removed = "removed";
    /// <summary>SSE event type of the periodic stats (data: the <c>/api/stats</c> object).</summary>
    public const string Stats = "stats";

    /// <summary>Subscriptions and mapping for <see cref="LiveEventsBridge"/>.</summary>
    public static readonly LiveEventTopics Topics = new(
        [typeof(DeviceRegistry.DeviceChanged), typeof(DeviceRegistry.DeviceRemoved)],
        Map);

    private static LiveEvent? Map(object message, JsonSerializerOptions json) => message switch
    {
        DeviceRegistry.DeviceChanged c => new LiveEvent(Device, JsonSerializer.Serialize(DeviceDto.From(c.Device), json)),
        DeviceRegistry.DeviceRemoved r => new LiveEvent(Removed, JsonSerializer.Serialize(new { mac = r.Mac }, json)),
        _ => null,
    };
}
