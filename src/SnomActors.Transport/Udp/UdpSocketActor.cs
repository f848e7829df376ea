using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Akka.Pattern;

namespace SnomActors.Transport.Udp;

/// <summary>
/// The real SIP/UDP transport: owns the unicast socket (and, for a specific bind address, the group
/// socket), delivers every datagram to the listener as <see cref="SipTransport.Received"/> with its
/// <see cref="DatagramOrigin"/>, and sends <see cref="SipTransport.Send"/> from our SIP port.
/// </summary>
/// <remarks>
/// <para>States: <c>Binding</c> (a Polly-retried bind runs as a task; <c>Send</c>s are stashed) →
/// <c>Bound</c> (receive threads running). A socket fault makes the actor throw; run it under
/// <see cref="PropsWithBackoff"/>, which stops it and creates a fresh one (new sockets, new bind,
/// a new <see cref="SipTransport.Bound"/>) after a back-off. While bound, a timer re-reads the interfaces
/// every <see cref="UdpTransportOptions.InterfaceWatchInterval"/> and re-joins the group on interfaces
/// that appeared or were recreated (telling the listener a fresh <see cref="SipTransport.Bound"/>).</para>
/// <para><see cref="SipTransport.Received"/> and <see cref="SipTransport.Bound"/> carry this actor as sender;
/// address sends to the transport ref you were given (the supervisor), which outlives this actor.</para>
/// <para>Dialogs hold only the back-off supervisor's ref, which never changes, so dialogs in flight
/// are unaffected by a recreation: at worst datagrams sent or arriving during the back-off are lost,
/// which SIP's retransmissions (Timer E, the phone's SUBSCRIBE retries) absorb.</para>
/// <para>Raw <see cref="Socket"/> rather than Akka.IO: Akka.IO's <c>Udp.Received</c> cannot tell the
/// destination address, and the core must know whether a request came to the group.</para>
/// </remarks>
public sealed class UdpSocketActor : UntypedActor, IWithUnboundedStash, IWithTimers
{
    /// <summary>
    /// Fault injection (tests, issue 5): closes the sockets under the running receive loops, exactly as
    /// an external fault would. The actor then fails and, under <see cref="PropsWithBackoff"/>, is recreated.
    /// </summary>
    public sealed record CloseSocketUnderneath
    {
        /// <summary>The single instance.</summary>
        public static readonly CloseSocketUnderneath Instance = new();

        private CloseSocketUnderneath()
        {
        }
    }

    private sealed record BindSucceeded(UdpBinding Binding);

    private sealed record BindFailed(Exception Cause);

    private sealed record ReceiveLoopFaulted(string Socket, Exception Cause);

    private sealed record WatchInterfaces
    {
        public static readonly WatchInterfaces Instance = new();
    }

    // Sends stashed while (re)binding; beyond this they are dropped (and counted): retransmissions re-send them.
    private const int MaxStashedSends = 10_000;

    private readonly UdpTransportOptions _options;
    private readonly IActorRef _listener;
    private readonly UdpTransportCounters _counters;
    private readonly ISocketFactory _socketFactory;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly SocketSet _sockets = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<UdpReceiveLoop> _loops = [];
    private readonly List<MulticastInterface> _joined = [];
    private UdpBinding? _binding;
    private InterfaceAddressMap? _interfaceAddresses;
    private readonly JoinedInterfaces _joinedIndexes = new();
    private int _stashed;

    /// <summary>Use <see cref="Props"/> or <see cref="PropsWithBackoff"/>.</summary>
    public UdpSocketActor(UdpTransportOptions options, IActorRef listener, UdpTransportCounters counters, ISocketFactory socketFactory)
    {
        _options = options;
        _listener = listener;
        _counters = counters;
        _socketFactory = socketFactory;
    }

    /// <inheritdoc />
    public IStash Stash { get; set; } = null!;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the bare socket actor (it fails on a socket fault; supervise it, see <see cref="PropsWithBackoff"/>).</summary>
    /// <param name="options">Transport settings; validated here.</param>
    /// <param name="listener">Receives <see cref="SipTransport.Received"/> and <see cref="SipTransport.Bound"/> (the router).</param>
    /// <param name="counters">Shared counters; pass the same instance across recreations to keep totals.</param>
    /// <param name="socketFactory">Sockets and interface list; <see cref="SystemSocketFactory"/> by default.</param>
    public static Props Props(
        UdpTransportOptions options,
        IActorRef listener,
        UdpTransportCounters? counters = null,
        ISocketFactory? socketFactory = null)
    {
        options.Validate();
        return Akka.Actor.Props.Create<UdpSocketActor>(
            options, listener, counters ?? new UdpTransportCounters(), socketFactory ?? SystemSocketFactory.Instance);
    }

    /// <summary>
    /// Props for a <see cref="BackoffSupervisor"/> (<c>Backoff.OnFailure</c>, back-off from
    /// <see cref="UdpTransportOptions.RestartMinBackoff"/> to <see cref="UdpTransportOptions.RestartMaxBackoff"/>,
    /// random factor <see cref="UdpTransportOptions.RestartRandomFactor"/>, reset after
    /// <see cref="UdpTransportOptions.RestartResetAfter"/>) around the socket actor. This is the
    /// transport ref to hand to dialogs: it forwards <see cref="SipTransport.Send"/> to the current
    /// socket actor and stays the same while the socket actor is recreated after a fault.
    /// </summary>
    /// <param name="options">Transport settings; validated here.</param>
    /// <param name="listener">
    /// Receives <see cref="SipTransport.Received"/> and <see cref="SipTransport.Bound"/>, the latter after every
    /// (re)bind and whenever the set of joined interfaces changes.
    /// </param>
    /// <param name="counters">Shared counters, kept across recreations; a new instance when null.</param>
    /// <param name="socketFactory">Sockets and interface list; <see cref="SystemSocketFactory"/> by default.</param>
    /// <param name="childName">Name of the socket actor under the supervisor.</param>
    public static Props PropsWithBackoff(
        UdpTransportOptions options,
        IActorRef listener,
        UdpTransportCounters? counters = null,
        ISocketFactory? socketFactory = null,
        string childName = "socket")
    {
        var child = Props(options, listener, counters, socketFactory);
        var backoff = Backoff.OnFailure(
                child, childName, options.RestartMinBackoff, options.RestartMaxBackoff, options.RestartRandomFactor, -1)
            .WithAutoReset(options.RestartResetAfter)
            // Every failure, including one in PreStart, means "recreate after the back-off", never "stop for good".
            .WithSupervisorStrategy(new OneForOneStrategy(_ => Directive.Restart));
        return BackoffSupervisor.Props(backoff);
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        var self = Self;
        var log = _log;
        UdpSocketBinder.BindAsync(
                _options,
                _socketFactory,
                _sockets,
                _counters,
                (attempt, delay, cause) => log.Warning(
                    "UDP bind to {0}:{1} failed ({2}); attempt {3} in {4} ms",
                    _options.BindAddress, _options.Port, cause?.Message, attempt, (int)delay.TotalMilliseconds),
                _stopping.Token)
            .PipeTo(self, success: binding => new BindSucceeded(binding), failure: cause => new BindFailed(cause));
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SipTransport.Send:
                if (_stashed < MaxStashedSends)
                {
                    Stash.Stash();
                    _stashed++;
                }
                else
                {
                    _counters.OnSendError();
                }

                break;
            case BindSucceeded bound:
                OnBound(bound.Binding);
                break;
            case BindFailed failed:
                _counters.OnBindFailure();
                throw new UdpTransportFaultException(
                    $"Binding UDP {_options.BindAddress}:{_options.Port} failed: {failed.Cause.Message}", failed.Cause);
            case CloseSocketUnderneath:
                _log.Warning("CloseSocketUnderneath while still binding: ignored");
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Bound(object message)
    {
        switch (message)
        {
            case SipTransport.Send send:
                SendDatagram(send);
                break;
            case ReceiveLoopFaulted fault:
                _counters.OnSocketFault();
                throw new UdpTransportFaultException($"UDP receive loop on {fault.Socket} failed: {fault.Cause.Message}", fault.Cause);
            case CloseSocketUnderneath:
                _log.Warning("Fault injection: closing the UDP sockets under the receive loops");
                _sockets.CloseAll();
                break;
            case WatchInterfaces:
                RejoinWhereNeeded();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnBound(UdpBinding binding)
    {
        _binding = binding;
        _joined.AddRange(binding.Joined);
        _joinedIndexes.Set(_joined);
        _counters.OnBound();
        var endpoints = binding.LocalEndpoints;
        var joined = binding.Joined.Select(j => j.Name).ToArray();
        _log.Info(
            "UDP transport bound to {0}; {1}",
            string.Join(", ", endpoints),
            _options.EnableMulticast
                ? $"group {_options.MulticastGroup} joined on [{string.Join(", ", binding.Joined.Select(j => $"{j.Name} ({j.Address})"))}]"
                : "multicast off");
        if (_options.EnableMulticast && joined.Length == 0)
            _log.Warning("No interface to join {0} on: only unicast SUBSCRIBEs will be seen", _options.MulticastGroup);
        // Linux reports twice the usable size; anything below the request means net.core.rmem_max capped it.
        if (binding.ReceiveBufferBytes < _options.ReceiveBufferBytes)
        {
            _log.Warning(
                "Kernel granted SO_RCVBUF {0} of {1} bytes requested; raise net.core.rmem_max to absorb boot storms",
                binding.ReceiveBufferBytes, _options.ReceiveBufferBytes);
        }

        // Bound first, so the listener never sees a datagram of this incarnation before its Bound; until the
        // loops start, datagrams wait in the socket's kernel buffer.
        _listener.Tell(new SipTransport.Bound(endpoints, joined), Self);
        _interfaceAddresses = new InterfaceAddressMap(binding.Interfaces, _socketFactory.ListInterfaces);
        StartLoop(binding.Unicast, _interfaceAddresses);
        if (binding.Group is not null) StartLoop(binding.Group, _interfaceAddresses);
        if (_options.EnableMulticast && _options.InterfaceWatchInterval > TimeSpan.Zero)
            Timers.StartPeriodicTimer(nameof(WatchInterfaces), WatchInterfaces.Instance, _options.InterfaceWatchInterval);
        Become(Bound);
        Stash.UnstashAll();
        _stashed = 0;
    }

    /// <summary>
    /// Keeps the memberships in step with the interfaces: a membership belongs to an interface index,
    /// so an interface that is recreated (a VLAN or bridge rebuilt, a USB NIC replugged) or appears
    /// after the bind needs a fresh join, and one that vanished leaves a stale entry behind.
    /// </summary>
    private void RejoinWhereNeeded()
    {
        IReadOnlyList<NetworkInterfaceSnapshot> interfaces;
        try
        {
            interfaces = _socketFactory.ListInterfaces();
        }
        catch (Exception e)
        {
            _log.Warning("Listing network interfaces failed: {0}", e.Message);
            return;
        }

        _interfaceAddresses!.Update(interfaces);
        var desired = MulticastInterfaceSelector.SelectAvailable(interfaces, _options.MulticastInterfaces, out _);
        var joiner = _binding!.Group ?? _binding.Unicast;
        var changed = false;
        try
        {
            foreach (var stale in _joined.Where(j => !desired.Contains(j)).ToArray())
            {
                try
                {
                    // By index, not address: the address may already belong to the interface's successor.
                    joiner.SetSocketOption(
                        SocketOptionLevel.IP, SocketOptionName.DropMembership, new MulticastOption(_options.MulticastGroup, stale.Index));
                }
                catch (SocketException)
                {
                    // The interface is gone and the kernel dropped the membership with it.
                }

                _joined.Remove(stale);
                changed = true;
                _log.Info("Left {0} on {1} (#{2}, {3}): interface gone or changed", _options.MulticastGroup, stale.Name, stale.Index, stale.Address);
            }

            foreach (var fresh in desired.Where(d => !_joined.Contains(d)))
            {
                try
                {
                    joiner.SetSocketOption(
                        SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(_options.MulticastGroup, fresh.Address));
                }
                catch (SocketException e)
                {
                    _log.Warning("Joining {0} on {1} ({2}) failed, retrying in {3}: {4}", _options.MulticastGroup, fresh.Name, fresh.Address, _options.InterfaceWatchInterval, e.Message);
                    continue;
                }

                _joined.Add(fresh);
                changed = true;
                _counters.OnRejoin();
                _log.Info("Joined {0} on {1} (#{2}, {3})", _options.MulticastGroup, fresh.Name, fresh.Index, fresh.Address);
            }
        }
        catch (ObjectDisposedException)
        {
            // The socket was closed under us; the receive loop reports the fault.
            return;
        }
        finally
        {
            if (changed) _joinedIndexes.Set(_joined);
        }

        if (changed)
            _listener.Tell(new SipTransport.Bound(_binding.LocalEndpoints, _joined.Select(j => j.Name).ToArray()), Self);
    }

    private void StartLoop(Socket socket, InterfaceAddressMap interfaces)
    {
        var local = (IPEndPoint)socket.LocalEndPoint!;
        var description = local.ToString();
        var self = Self;
        var loop = new UdpReceiveLoop(
            socket,
            description,
            _listener,
            self,
            _counters,
            interfaces,
            _joinedIndexes,
            _options.DatagramBufferBytes,
            Ipv4.IsMulticast(local.Address) ? _options.BindAddress : local.Address,
            cause => self.Tell(new ReceiveLoopFaulted(description, cause), ActorRefs.NoSender));
        _loops.Add(loop);
        loop.Start();
    }

    private void SendDatagram(SipTransport.Send send)
    {
        // The kernel picks the source address by route (or it is BindAddress); .NET cannot pass IP_PKTINFO to sendmsg,
        // so send.LocalAddress is advisory. The source port is always ours.
        try
        {
            _binding!.Unicast.SendTo(send.Data.Span, SocketFlags.None, send.Destination);
            _counters.OnSent();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or ArgumentException)
        {
            // One unreachable phone (ICMP errors, no route) must not take the transport down for all others.
            _counters.OnSendError();
            if (_log.IsDebugEnabled) _log.Debug("UDP send to {0} failed: {1}", send.Destination, e.Message);
        }
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _stopping.Cancel();
        foreach (var loop in _loops) loop.Stop();
        _sockets.Dispose();
        foreach (var loop in _loops) loop.Join(TimeSpan.FromSeconds(1));
        _stopping.Dispose();
    }
}
