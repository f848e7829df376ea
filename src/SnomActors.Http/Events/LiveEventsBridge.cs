using Akka.Actor;

namespace SnomActors.Http.Events;

/// <summary>
/// Subscribes to the actor system's EventStream and hands each interesting event, turned into
/// JSON once, to the <see cref="LiveEventHub"/>. Serialising here (once per change, not once per
/// browser) keeps the cost independent of how many pages are open; the hub never blocks.
/// </summary>
public sealed class LiveEventsBridge : ReceiveActor
{
    private readonly IReadOnlyList<Type> _topics;

    /// <summary>Props for the bridge.</summary>
    /// <param name="hub">Where events go.</param>
    /// <param name="topics">EventStream classifiers to subscribe to.</param>
    /// <param name="map">Turns a published message into a live event, or null to ignore it.</param>
    public static Props Props(LiveEventHub hub, IReadOnlyList<Type> topics, Func<object, LiveEvent?> map) =>
        Akka.Actor.Props.Create<LiveEventsBridge>(hub, topics, map);

    /// <summary>Creates the bridge (use <see cref="Props(LiveEventHub, IReadOnlyList{Type}, Func{object, LiveEvent?})"/>).</summary>
    public LiveEventsBridge(LiveEventHub hub, IReadOnlyList<Type> topics, Func<object, LiveEvent?> map)
    {
        _topics = topics;
        ReceiveAny(message =>
        {
            // Nobody watching (the usual case during a storm at night): do not serialise at all.
            if (!hub.HasClients) return;
            if (map(message) is { } e) hub.Publish(e);
        });
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        foreach (var topic in _topics) Context.System.EventStream.Subscribe(Self, topic);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
    }
}
