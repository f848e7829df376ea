using System.Net;
using Akka.Actor;
using SnomActors.Simulator.Phones;
using SnomActors.Sip.Parsing;
using SnomActors.Transport;

namespace SnomActors.Simulator.Farm;

/// <summary>
/// Owns the transports of many simulated phones, boots the phones at the requested rate, and hands
/// each received datagram (parsed once here) to its phone by Call-ID. Over real UDP one socket serves
/// thousands of phones; on the in-memory network each phone may have a transport (an address) of its own.
/// </summary>
/// <remarks>
/// Phases: Binding (waits for every transport's <see cref="SipTransport.Bound"/>, which tells the
/// local address the phones write into Via and Contact) → Running (boots on the pacing timer,
/// routes datagrams).
/// </remarks>
public sealed class PhoneFarm : UntypedActor, IWithTimers
{
    /// <summary>Asks for <see cref="Stats"/>.</summary>
    public sealed record GetStats
    {
        /// <summary>The single instance.</summary>
        public static readonly GetStats Instance = new();

        private GetStats()
        {
        }
    }

    /// <summary>What the farm saw.</summary>
    /// <param name="Booted">Phones booted so far.</param>
    /// <param name="DatagramsIn">Datagrams received from the transports.</param>
    /// <param name="LostOnPurpose">Inbound datagrams dropped by the simulated phone-side loss.</param>
    /// <param name="Unparseable">Datagrams that were not SIP.</param>
    /// <param name="Strays">SIP messages for no known Call-ID.</param>
    public sealed record Stats(int Booted, long DatagramsIn, long LostOnPurpose, long Unparseable, long Strays);

    private sealed record BootTick
    {
        public static readonly BootTick Instance = new();
    }

    private readonly FarmSetup _setup;
    private readonly IActorRef _reporter;
    private readonly IActorRef[] _transports;
    private readonly Dictionary<IActorRef, int> _transportIndex = new();
    private readonly IPEndPoint?[] _localEndpoints;
    private readonly Dictionary<string, IActorRef> _phonesByCallId = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, string> _callIdsByPhone = new();
    private readonly Random? _inboundLoss;
    private int _bound;
    private int _booted;
    private DateTimeOffset _bootStart;
    private long _datagramsIn, _lost, _unparseable, _strays;

    /// <summary>Use <see cref="Props"/>.</summary>
    public PhoneFarm(FarmSetup setup, IActorRef reporter)
    {
        _setup = setup;
        _reporter = reporter;
        _transports = new IActorRef[setup.Transports.Count];
        _localEndpoints = new IPEndPoint?[setup.Transports.Count];
        _inboundLoss = setup.PhoneOptions.InboundLoss > 0 ? new Random(unchecked(setup.Seed * 31 + 0x5eed)) : null;
    }

    /// <summary>Props of a farm for <paramref name="setup"/>, reporting every phone's progress and result to <paramref name="reporter"/>.</summary>
    public static Props Props(FarmSetup setup, IActorRef reporter)
    {
        setup.Validate();
        return Akka.Actor.Props.Create<PhoneFarm>(setup, reporter);
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private DateTimeOffset Now => Context.System.Scheduler.Now;

    /// <inheritdoc />
    protected override void PreStart()
    {
        // Every phone arms Timer E when it boots: have the scheduler running before they all do.
        SchedulerWarmUp.Ensure(Context.System.Scheduler);
        for (var i = 0; i < _transports.Length; i++)
        {
            _transports[i] = Context.ActorOf(_setup.Transports[i].CreateProps(Self), $"transport-{i}");
            _transportIndex[_transports[i]] = i;
        }
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SipTransport.Bound bound:
                OnBound(bound);
                break;
            case GetStats:
                ReplyStats();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnBound(SipTransport.Bound bound)
    {
        if (!_transportIndex.TryGetValue(Sender, out var index) || bound.LocalEndpoints.Count == 0) return;
        if (_localEndpoints[index] is null) _bound++;
        var endpoint = bound.LocalEndpoints[0];
        // A socket bound to 0.0.0.0 cannot put its address in Via/Contact: use the advertised one.
        if (endpoint.Address.Equals(IPAddress.Any) && _setup.AdvertisedAddress is { } advertised)
            endpoint = new IPEndPoint(advertised, endpoint.Port);
        _localEndpoints[index] = endpoint;
        if (_bound < _transports.Length) return;
        _bootStart = Now;
        Become(Running);
        BootDue();
    }

    private void Running(object message)
    {
        switch (message)
        {
            case SipTransport.Received received:
                OnDatagram(received);
                break;
            case BootTick:
                BootDue();
                break;
            case Terminated terminated:
                if (_callIdsByPhone.Remove(terminated.ActorRef, out var callId)) _phonesByCallId.Remove(callId);
                break;
            case SipTransport.Bound bound:
                // A recreated socket may come back on another port; phones already booted keep their Via.
                if (_transportIndex.TryGetValue(Sender, out var index) && bound.LocalEndpoints.Count > 0 && !bound.LocalEndpoints[0].Address.Equals(IPAddress.Any))
                    _localEndpoints[index] = bound.LocalEndpoints[0];
                break;
            case GetStats:
                ReplyStats();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void BootDue()
    {
        var total = _setup.Phones.Count;
        int due;
        if (_setup.BootsPerSecond <= 0) due = total;
        else
        {
            // Boot i at i/R seconds after the start: count from elapsed time, not ticks, so timer jitter does not drift the rate.
            var elapsed = (Now - _bootStart).TotalSeconds;
            due = (int)Math.Min(total, Math.Floor(elapsed * _setup.BootsPerSecond) + 1);
        }
        while (_booted < due) BootPhone(_booted++);
        if (_booted < total && !Timers.IsTimerActive("boot"))
            Timers.StartPeriodicTimer("boot", BootTick.Instance, _setup.BootTickInterval);
        else if (_booted >= total) Timers.Cancel("boot");
    }

    private void BootPhone(int index)
    {
        var phone = _setup.Phones[index];
        var transportIndex = index % _transports.Length;
        var local = _localEndpoints[transportIndex]!;
        var actor = Context.ActorOf(SimulatedPhone.Props(phone, local, _transports[transportIndex], _reporter, _setup.PhoneOptions));
        var callId = phone.CallIdFor(local);
        _phonesByCallId[callId] = actor;
        _callIdsByPhone[actor] = callId;
        Context.Watch(actor);
        actor.Tell(SimulatedPhone.Boot.Instance);
    }

    private void OnDatagram(SipTransport.Received received)
    {
        _datagramsIn++;
        if (_inboundLoss is not null && _inboundLoss.NextDouble() < _setup.PhoneOptions.InboundLoss)
        {
            _lost++;
            return;
        }
        if (!SipParser.TryParse(received.Data, out var message, out _))
        {
            _unparseable++;
            return;
        }
        if (_phonesByCallId.TryGetValue(message!.CallId, out var phone)) phone.Tell(new SimulatedPhone.Inbound(message, received.Origin));
        else _strays++;
    }

    private void ReplyStats() => Sender.Tell(new Stats(_booted, _datagramsIn, _lost, _unparseable, _strays));
}

/// <summary>What a <see cref="PhoneFarm"/> runs.</summary>
/// <param name="Phones">The phones, in boot order.</param>
/// <param name="Transports">Transports; phone <c>i</c> uses <c>Transports[i % Count]</c>.</param>
/// <param name="PhoneOptions">Target, timers, fetcher, loss.</param>
/// <param name="BootsPerSecond">Boot rate; 0 or less boots every phone at once.</param>
/// <param name="AdvertisedAddress">Address for Via/Contact when a transport is bound to 0.0.0.0.</param>
/// <param name="Seed">Seed of the farm's inbound-loss randomness.</param>
public sealed record FarmSetup(
    IReadOnlyList<PhoneIdentity> Phones,
    IReadOnlyList<ITransportFactory> Transports,
    PhoneOptions PhoneOptions,
    double BootsPerSecond = 0,
    IPAddress? AdvertisedAddress = null,
    int Seed = 1)
{
    /// <summary>How often the pacing timer boots the phones that are due.</summary>
    public TimeSpan BootTickInterval { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Throws <see cref="ArgumentException"/> for an unusable setup.</summary>
    public void Validate()
    {
        if (Transports.Count == 0) throw new ArgumentException("A farm needs at least one transport.", nameof(Transports));
        if (BootTickInterval <= TimeSpan.Zero) throw new ArgumentException("BootTickInterval must be positive.", nameof(BootTickInterval));
        if (PhoneOptions.InboundLoss is < 0 or > 1 || PhoneOptions.OutboundLoss is < 0 or > 1)
            throw new ArgumentException("Loss probabilities must be within 0..1.", nameof(PhoneOptions));
    }
}
