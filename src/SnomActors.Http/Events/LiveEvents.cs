using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SnomActors.Http.Api;
using SnomActors.Http.Hosting;

namespace SnomActors.Http.Events;

/// <summary>
/// Owns the bridge actor and the hub. The actor is created on first use rather than at DI build
/// time: with Akka.Hosting the ActorSystem exists only once its hosted service has started.
/// </summary>
public sealed class LiveEvents(IServiceProvider services, LiveEventHub hub, LiveEventTopics topics)
{
    private readonly Lazy<IActorRef> _bridge = new(() =>
    {
        var system = services.GetRequiredService<ActorSystem>();
        var json = services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return system.ActorOf(LiveEventsBridge.Props(hub, topics.Types, m => topics.Map(m, json)), "http-live-events");
    });

    /// <summary>The hub clients read from.</summary>
    public LiveEventHub Hub => hub;

    /// <summary>Creates the bridge actor if not yet done.</summary>
    public IActorRef EnsureStarted() => _bridge.Value;
}

/// <summary>What the bridge listens to on the EventStream and how each message becomes an SSE event.</summary>
/// <param name="Types">Classifiers to subscribe to.</param>
/// <param name="Map">Message (and the API's JSON options) to live event, or null to skip.</param>
public sealed record LiveEventTopics(IReadOnlyList<Type> Types, Func<object, JsonSerializerOptions, LiveEvent?> Map);

/// <summary><c>GET /api/events</c>: server-sent events for the live page.</summary>
public static class LiveEventsEndpoint
{
    /// <summary>Maps the SSE endpoint on the API group.</summary>
    public static RouteGroupBuilder MapLiveEvents(this RouteGroupBuilder api)
    {
        api.MapGet("/events", (HttpContext context, LiveEvents live, StatsService stats, HttpOptions options) =>
            {
                live.EnsureStarted();
                var subscription = live.Hub.Subscribe();
                context.Response.RegisterForDispose(subscription);
                // Proxies (nginx) buffer responses unless told not to; a live feed must not be held back.
                context.Response.Headers["X-Accel-Buffering"] = "no";
                var json = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
                return TypedResults.ServerSentEvents(Stream(subscription, stats, options, json, context.RequestAborted));
            })
            .WithTags("Devices").WithName("LiveEvents")
            .Produces(200, contentType: "text/event-stream");
        return api;
    }

    private static async IAsyncEnumerable<SseItem<string>> Stream(
        LiveEventHub.Subscription subscription, StatsService stats, HttpOptions options, JsonSerializerOptions json,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var channel = subscription.Channel;
        // Stats go through the same channel as device events so one reader serialises the writes.
        var ticker = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(options.StatsInterval);
            do
            {
                try
                {
                    var dto = await stats.GetAsync(ct);
                    channel.Writer.TryWrite(new LiveEvent(RegistryLiveEvents.Stats, JsonSerializer.Serialize(dto, json)));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The store being down must not end the feed: device events still flow, stats resume later.
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }, ct);
        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(ct))
                yield return new SseItem<string>(e.Json, e.Type);
        }
        finally
        {
            subscription.Dispose();
            try { await ticker; } catch (OperationCanceledException) { } catch (ChannelClosedException) { }
        }
    }
}
