using System.Collections.Concurrent;
using System.Threading.Channels;

namespace SnomActors.Http.Events;

/// <summary>One server-sent event ready to write: its type and its JSON data.</summary>
public sealed record LiveEvent(string Type, string Json);

/// <summary>
/// Fan-out from the actor system to every open <c>/api/events</c> connection. Each client has
/// its own bounded channel that drops its oldest event when full, so publishing never waits:
/// a stalled browser loses old rows (the page reloads the list when it reconnects), the actors
/// never block.
/// </summary>
public sealed class LiveEventHub(int bufferPerClient)
{
    private readonly ConcurrentDictionary<long, Channel<LiveEvent>> _clients = new();
    private long _nextId;
    private long _dropped;

    /// <summary>Open connections.</summary>
    public int ClientCount => _clients.Count;

    /// <summary>True while at least one connection is open (cheaper than <see cref="ClientCount"/>, which locks).</summary>
    public bool HasClients => !_clients.IsEmpty;

    /// <summary>Events dropped because a client's buffer was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Registers a client; dispose the subscription when its connection ends.</summary>
    public Subscription Subscribe()
    {
        var id = Interlocked.Increment(ref _nextId);
        var channel = Channel.CreateBounded<LiveEvent>(
            new BoundedChannelOptions(Math.Max(1, bufferPerClient))
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                SingleWriter = false,
            },
            _ => Interlocked.Increment(ref _dropped));
        _clients[id] = channel;
        return new Subscription(this, id, channel);
    }

    /// <summary>Offers an event to every client without waiting.</summary>
    public void Publish(LiveEvent e)
    {
        foreach (var channel in _clients.Values) channel.Writer.TryWrite(e);
    }

    private void Remove(long id)
    {
        if (_clients.TryRemove(id, out var channel)) channel.Writer.TryComplete();
    }

    /// <summary>One client's feed.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly LiveEventHub _hub;
        private readonly long _id;

        internal Subscription(LiveEventHub hub, long id, Channel<LiveEvent> channel)
        {
            _hub = hub;
            _id = id;
            Channel = channel;
        }

        /// <summary>The client's channel (the SSE endpoint reads; periodic stats may be written too).</summary>
        public Channel<LiveEvent> Channel { get; }

        /// <inheritdoc />
        public void Dispose() => _hub.Remove(_id);
    }
}
