using Akka.Actor;
using SnomActors.Transport;

namespace SnomActors.Cli.Daemon;

/// <summary>
/// A transport factory whose transport comes into being only once <paramref name="open"/> has
/// completed: until then nothing is bound, so no SUBSCRIBE is received and none is answered.
/// The daemon opens it when its HTTP side listens (see <see cref="ReadinessGate"/>).
/// </summary>
internal sealed class HeldTransportFactory(ITransportFactory inner, Task open) : ITransportFactory
{
    public Props CreateProps(IActorRef listener) => Props.Create<HeldTransport>(inner, listener, open);
}

/// <summary>
/// Stands in for the real transport until the gate opens, then creates it as its child (with the
/// router as listener, so received datagrams go to the router directly) and forwards every send to
/// it. Sends that come before (there should be none: nothing was received) wait in the stash. When
/// the real transport stops for good, this one stops too, so the router's watch sees it.
/// </summary>
internal sealed class HeldTransport : UntypedActor, IWithUnboundedStash
{
    private sealed record Open
    {
        public static readonly Open Instance = new();
    }

    private readonly ITransportFactory _inner;
    private readonly IActorRef _listener;
    private readonly Task _open;
    private IActorRef _transport = ActorRefs.Nobody;

    public HeldTransport(ITransportFactory inner, IActorRef listener, Task open)
    {
        _inner = inner;
        _listener = listener;
        _open = open;
    }

    public IStash Stash { get; set; } = null!;

    protected override void PreStart() => _open.PipeTo(Self, success: () => Open.Instance);

    protected override void OnReceive(object message)
    {
        if (message is Open)
        {
            _transport = Context.ActorOf(_inner.CreateProps(_listener), "udp");
            Context.Watch(_transport);
            Become(Forwarding);
            Stash.UnstashAll();
        }
        else if (message is Status.Failure) Context.Stop(Self);
        else Stash.Stash();
    }

    private void Forwarding(object message)
    {
        if (message is Terminated terminated && terminated.ActorRef.Equals(_transport)) Context.Stop(Self);
        else _transport.Forward(message);
    }
}
