using System.Net;
using System.Text;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using SnomActors.Server.Actors;
using SnomActors.Server.Config;
using SnomActors.Server.Messages;
using SnomActors.Server.Metrics;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Parsing;
using SnomActors.Transport;
using Xunit.Abstractions;

namespace SnomActors.Server.Tests.Support;

/// <summary>A datagram the router or a dialog handed to the transport, parsed back with the SIP library.</summary>
public sealed record Outbound(SipTransport.Send Send, SipMessage Message)
{
    public byte[] Bytes => Send.Data.ToArray();
    public IPEndPoint Destination => Send.Destination;
    public SipRequest Request => Assert.IsType<SipRequest>(Message);
    public SipResponse Response => Assert.IsType<SipResponse>(Message);
    public string Text => Encoding.UTF8.GetString(Bytes);
}

/// <summary>One started PnP exchange: our 200, our first NOTIFY and the dialog actor that sent them.</summary>
public sealed record Exchange(string CallId, Outbound Ok, Outbound Notify, IActorRef Dialog, DateTimeOffset StartedAt);

/// <summary>
/// Base of the actor specifications: a TestKit whose scheduler is the <see cref="TestScheduler"/>, a
/// router whose transport writes to <see cref="Wire"/>, every <see cref="ProvisioningEvent"/> on
/// <see cref="Events"/>. Time only moves when a test moves it, one step at a time, and every step
/// waits (<see cref="Settle"/>) until the actors have finished reacting before the next one.
/// </summary>
public abstract class PnpSpec : TestKit
{
    private const string Config = """
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        """;

    /// <summary>The snom 360 of the capture: 141.41.40.131, SIP port 2055.</summary>
    public static readonly IPEndPoint Snom360Address = new(IPAddress.Parse("141.41.40.131"), 2055);

    /// <summary>Our address on the interface the datagrams arrive on.</summary>
    public static readonly IPAddress ServerAddress = IPAddress.Parse("141.41.40.184");

    private readonly ProbeTransportFactory _transports;
    private IActorRef _transport = ActorRefs.Nobody;
    private DateTimeOffset _origin;

    protected PnpSpec(ITestOutputHelper output) : base(Config, output: output)
    {
        Wire = CreateTestProbe("wire");
        Events = CreateTestProbe("events");
        Sys.EventStream.Subscribe(Events.Ref, typeof(ProvisioningEvent));
        _transports = new ProbeTransportFactory(Wire.Ref);
        _origin = Clock.Now;
    }

    protected TestScheduler Clock => (TestScheduler)Sys.Scheduler;
    protected TestProbe Wire { get; }
    protected TestProbe Events { get; }
    protected PnpMetrics Metrics { get; } = new();
    protected IActorRef Router { get; private set; } = ActorRefs.Nobody;
    protected int TransportsCreated => _transports.Created;

    /// <summary>Defaults of the daemon with the HTTP side on 8080.</summary>
    protected static PnpOptions DefaultOptions => new();

    /// <summary>The URL the default template gives a MAC when we are <see cref="ServerAddress"/>.</summary>
    protected static string DefaultUrlFor(string mac) => $"http://{ServerAddress}:8080/settings/{mac}.xml";

    protected IActorRef StartRouter(PnpOptions? options = null)
    {
        Router = Sys.ActorOf(DialogRouter.Props(options ?? DefaultOptions, _transports, Metrics), "router");
        _transport = AwaitChild("transport");
        _origin = Clock.Now;
        return Router;
    }

    /// <summary>A child of the router, once its PreStart has created it (ActorSelection + Identify, no Ask timeouts).</summary>
    private IActorRef AwaitChild(string name)
    {
        var probe = CreateTestProbe();
        IActorRef? found = null;
        AwaitCondition(() =>
        {
            Sys.ActorSelection(Router.Path / name).Tell(new Identify(name), probe.Ref);
            found = probe.ExpectMsg<ActorIdentity>().Subject;
            return found is not null;
        });
        return found!;
    }

    protected static DatagramOrigin ByMulticast(IPEndPoint? source = null) => new(source ?? Snom360Address, ServerAddress, 2, true);

    protected static DatagramOrigin ByUnicast(IPEndPoint? source = null) => new(source ?? Snom360Address, ServerAddress, 2, false);

    protected void Inject(SipText datagram, DatagramOrigin origin) => Inject(datagram.ToBytes(), origin);

    protected void Inject(byte[] datagram, DatagramOrigin origin) => Router.Tell(new SipTransport.Received(datagram, origin));

    /// <summary>The next datagram handed to the transport, parsed.</summary>
    protected Outbound ExpectDatagram() => Parsed(Wire.ExpectMsg<SipTransport.Send>());

    /// <summary>Every datagram already handed to the transport, parsed (call after <see cref="Settle"/>).</summary>
    protected IReadOnlyList<Outbound> DatagramsOnWire() =>
        [.. Wire.ReceiveWhile(TimeSpan.FromMilliseconds(20), m => (SipTransport.Send)m).Select(Parsed)];

    private static Outbound Parsed(SipTransport.Send send)
    {
        Assert.True(SipParser.TryParse(send.Data.Span, out var message, out var error), $"our own datagram does not parse: {error}");
        return new Outbound(send, message!);
    }

    protected Outbound ExpectResponse(int status)
    {
        var outbound = ExpectDatagram();
        Assert.Equal(status, outbound.Response.StatusCode);
        return outbound;
    }

    protected Outbound ExpectNotify()
    {
        var outbound = ExpectDatagram();
        Assert.Equal(SipMethods.Notify, outbound.Request.Method);
        return outbound;
    }

    /// <summary>Nothing was sent: everything the actors were asked to do is done and the wire is empty.</summary>
    protected void ExpectNoDatagram(params IActorRef[] liveDialogs)
    {
        Settle(liveDialogs);
        Wire.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
    }

    protected void ExpectNoEvent(params IActorRef[] liveDialogs)
    {
        Settle(liveDialogs);
        Events.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
    }

    protected T ExpectEvent<T>() where T : ProvisioningEvent => Events.ExpectMsg<T>();

    /// <summary>
    /// Waits until the router, the given dialogs and the transport have processed everything sent to
    /// them so far (a round trip to each, in causal order), so that the next clock step sees timers
    /// started relative to the right virtual time, and whatever they sent is already on the probes.
    /// </summary>
    protected void Settle(params IActorRef[] liveDialogs)
    {
        var probe = CreateTestProbe();
        Router.Tell(DialogRouter.GetLiveDialogs.Instance, probe.Ref);
        probe.ExpectMsg<DialogRouter.LiveDialogs>();
        // Identify goes through the mailbox like any message, and a dialog that has already stopped
        // answers it through dead letters: either way its earlier messages have been handled.
        foreach (var dialog in liveDialogs)
        {
            dialog.Tell(new Identify(null), probe.Ref);
            probe.ExpectMsg<ActorIdentity>();
        }
        // NOTIFYs pass the router's pacer on their way to the transport.
        Sys.ActorSelection(Router.Path / "notify-pacer").Tell(new Identify(null), probe.Ref);
        probe.ExpectMsg<ActorIdentity>();
        _transport.Tell(new Identify(null), probe.Ref);
        probe.ExpectMsg<ActorIdentity>();
    }

    protected DialogRouter.LiveDialogs LiveDialogs()
    {
        var probe = CreateTestProbe();
        Router.Tell(DialogRouter.GetLiveDialogs.Instance, probe.Ref);
        return probe.ExpectMsg<DialogRouter.LiveDialogs>();
    }

    /// <summary>The dialog actor serving <paramref name="callId"/> (asked through <see cref="DialogMessages.Reattach"/>).</summary>
    protected IActorRef DialogFor(string callId)
    {
        Settle();
        var probe = CreateTestProbe();
        Sys.ActorSelection(Router.Path / "$*").Tell(DialogMessages.Reattach.Instance, probe.Ref);
        probe.FishForMessage<DialogMessages.Attached>(a => a.CallId == callId);
        return probe.LastSender;
    }

    /// <summary>Virtual seconds since the router started (or since the exchange under test began).</summary>
    protected double Elapsed => (Clock.Now - _origin).TotalSeconds;

    /// <summary>Moves the virtual clock to <paramref name="seconds"/> after the origin (never backwards).</summary>
    protected void AdvanceTo(double seconds)
    {
        var target = _origin + TimeSpan.FromMilliseconds(Math.Round(seconds * 1000));
        var delta = target - Clock.Now;
        Assert.True(delta >= TimeSpan.Zero, $"clock is already past {seconds}s");
        if (delta > TimeSpan.Zero) Clock.Advance(delta);
    }

    /// <summary>
    /// Injects <paramref name="subscribe"/> and takes the 200 and the NOTIFY it must produce, plus the
    /// three events SubscribeSeen / SubscribeAnswered / NotifySent. Time 0 of the test is this moment.
    /// </summary>
    protected Exchange StartExchange(SipText subscribe, DatagramOrigin? origin = null)
    {
        _origin = Clock.Now;
        Inject(subscribe, origin ?? ByMulticast());
        var ok = ExpectResponse(200);
        var notify = ExpectNotify();
        var callId = ok.Response.CallId;
        ExpectEvent<SubscribeSeen>();
        ExpectEvent<SubscribeAnswered>();
        ExpectEvent<NotifySent>();
        var dialog = DialogFor(callId);
        Settle(dialog);
        return new Exchange(callId, ok, notify, dialog, _origin);
    }

    /// <summary>
    /// The phone's answer to our NOTIFY, shaped like the snom 360's <c>200 Ok</c> in the capture: our
    /// Via (with our branch), From, To, Call-ID and CSeq echoed.
    /// </summary>
    protected static byte[] PhoneAnswer(SipRequest notify, int status, string reason = "Ok")
    {
        var sb = new StringBuilder();
        sb.Append("SIP/2.0 ").Append(status).Append(' ').Append(reason).Append("\r\n");
        foreach (var via in notify.Vias) sb.Append("Via: ").Append(via.Raw).Append("\r\n");
        sb.Append("From: ").Append(notify.From.Raw).Append("\r\n");
        sb.Append("To: ").Append(notify.To.Raw).Append("\r\n");
        sb.Append("Call-ID: ").Append(notify.CallId).Append("\r\n");
        sb.Append("CSeq: ").Append(notify.CSeq.Number).Append(" NOTIFY\r\n");
        sb.Append("Content-Length: 0\r\n\r\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>Whether <paramref name="actor"/> still runs (Identify answered by the actor, not by dead letters).</summary>
    protected bool IsAlive(IActorRef actor)
    {
        var probe = CreateTestProbe();
        actor.Tell(new Identify(null), probe.Ref);
        return probe.ExpectMsg<ActorIdentity>().Subject is not null;
    }

    /// <summary>Watches <paramref name="actor"/> and waits for its Terminated.</summary>
    protected void ExpectStopped(IActorRef actor)
    {
        var probe = CreateTestProbe();
        probe.Watch(actor);
        probe.ExpectTerminated(actor);
    }
}
