using System.Net;
using System.Net.Sockets;
using Polly;
using Polly.Retry;

namespace SnomActors.Transport.Udp;

/// <summary>The sockets of one incarnation of the socket actor, bound and joined.</summary>
/// <param name="Unicast">Bound to BindAddress:Port; receives unicast (and group traffic when bound to 0.0.0.0) and sends everything.</param>
/// <param name="Group">Bound to Group:Port when BindAddress is a specific address and multicast is on; receive only.</param>
/// <param name="Joined">The interfaces the group was joined on.</param>
/// <param name="Interfaces">The interface list the joins were resolved against.</param>
/// <param name="ReceiveBufferBytes">SO_RCVBUF the kernel granted on the unicast socket (Linux reports twice the usable size).</param>
internal sealed record UdpBinding(
    Socket Unicast,
    Socket? Group,
    IReadOnlyList<MulticastInterface> Joined,
    IReadOnlyList<NetworkInterfaceSnapshot> Interfaces,
    int ReceiveBufferBytes)
{
    public IReadOnlyList<IPEndPoint> LocalEndpoints =>
        Group is null
            ? [(IPEndPoint)Unicast.LocalEndPoint!]
            : [(IPEndPoint)Unicast.LocalEndPoint!, (IPEndPoint)Group.LocalEndPoint!];
}

/// <summary>Joining the group on one interface failed (ENODEV, EADDRNOTAVAIL while the interface comes up).</summary>
internal sealed class MulticastJoinException(MulticastInterface target, IPAddress group, SocketException inner)
    : Exception($"Joining {group} on {target.Name} ({target.Address}) failed: {inner.Message} ({inner.SocketErrorCode}).", inner);

/// <summary>
/// Sockets owned by one actor incarnation. Disposing the set closes every socket in it and every
/// socket added later, so a bind that completes after the actor stopped cannot leak its sockets.
/// </summary>
internal sealed class SocketSet : IDisposable
{
    private readonly List<Socket> _sockets = [];
    private bool _disposed;

    public void Add(Socket socket)
    {
        lock (_sockets)
        {
            if (!_disposed)
            {
                _sockets.Add(socket);
                return;
            }
        }

        socket.Dispose();
        throw new OperationCanceledException("The socket actor stopped while binding.");
    }

    public void CloseAll()
    {
        Socket[] sockets;
        lock (_sockets) sockets = [.. _sockets];
        foreach (var socket in sockets) socket.Dispose();
    }

    public void Dispose()
    {
        lock (_sockets) _disposed = true;
        CloseAll();
    }
}

/// <summary>Binds and joins the transport's sockets, retrying with Polly while the network is not there yet.</summary>
internal static class UdpSocketBinder
{
    // Linux SOL_SOCKET / SO_RCVBUFFORCE / SO_SNDBUFFORCE: lift the buffers above net.core.[rw]mem_max when the process has CAP_NET_ADMIN.
    private const int SolSocket = 1;
    private const int SoReuseAddr = 2;
    private const int SoSndBufForce = 32;
    private const int SoRcvBufForce = 33;
    // Linux IPPROTO_IP / IP_MULTICAST_ALL.
    private const int IpProtoIp = 0;
    private const int IpMulticastAll = 49;

    public static Task<UdpBinding> BindAsync(
        UdpTransportOptions options,
        ISocketFactory factory,
        SocketSet owned,
        UdpTransportCounters counters,
        Action<int, TimeSpan, Exception?> onRetry,
        CancellationToken cancellationToken)
    {
        var pipeline = BuildPipeline(options, counters, onRetry);
        var attempt = 0;
        return pipeline.ExecuteAsync(
            _ =>
            {
                attempt++;
                return ValueTask.FromResult(BindOnce(options, factory, owned, lastAttempt: attempt > options.BindRetryAttempts));
            },
            cancellationToken).AsTask();
    }

    internal static bool IsRetryable(Exception e) => e switch
    {
        SocketException s => s.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.AddressAlreadyInUse,
        MulticastInterfaceUnavailableException or MulticastJoinException => true,
        _ => false,
    };

    private static ResiliencePipeline BuildPipeline(
        UdpTransportOptions options, UdpTransportCounters counters, Action<int, TimeSpan, Exception?> onRetry)
    {
        var builder = new ResiliencePipelineBuilder();
        if (options.BindRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsRetryable),
                MaxRetryAttempts = options.BindRetryAttempts,
                Delay = options.BindRetryDelay,
                MaxDelay = options.BindRetryMaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    counters.OnBindFailure();
                    onRetry(args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception);
                    return default;
                },
            });
        }

        return builder.Build();
    }

    private static UdpBinding BindOnce(UdpTransportOptions options, ISocketFactory factory, SocketSet owned, bool lastAttempt)
    {
        var interfaces = factory.ListInterfaces();
        IReadOnlyList<MulticastInterface> joins = [];
        if (options.EnableMulticast)
        {
            joins = MulticastInterfaceSelector.Select(interfaces, options.MulticastInterfaces);
            // At boot no interface may be up yet; wait for one, but in the end serve unicast rather than nothing.
            if (joins.Count == 0 && !lastAttempt)
            {
                throw new MulticastInterfaceUnavailableException(
                    "*", "No interface is up, multicast-capable, non-loopback and IPv4-addressed yet.");
            }
        }

        var created = new List<Socket>(2);
        try
        {
            // Exclusive: a second daemon on the same address and port must fail to bind (EADDRINUSE) rather
            // than share it, where the kernel would hand each unicast datagram (the phones' 200s to our
            // NOTIFYs) to only one of the two.
            var unicast = CreateSocket(factory, options, created, shared: false);
            unicast.Bind(new IPEndPoint(options.BindAddress, options.Port));
            var port = ((IPEndPoint)unicast.LocalEndPoint!).Port;

            Socket? group = null;
            var joiner = unicast;
            if (options.EnableMulticast && !options.BindAddress.Equals(IPAddress.Any))
            {
                // A socket bound to a unicast address never sees group datagrams (testing.md). Shared: one
                // daemon per VLAN on the same host each binds the group address and port.
                group = CreateSocket(factory, options, created, shared: true);
                group.Bind(new IPEndPoint(options.MulticastGroup, port));
                joiner = group;
            }

            if (options.EnableMulticast) OnlyOwnMemberships(joiner, options.KernelMembershipFilter);

            foreach (var target in joins)
            {
                try
                {
                    // Always with an explicit interface: the parameterless join depends on a 224/4 route and fails with ENODEV without one.
                    joiner.SetSocketOption(
                        SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(options.MulticastGroup, target.Address));
                }
                catch (SocketException e)
                {
                    throw new MulticastJoinException(target, options.MulticastGroup, e);
                }
            }

            foreach (var socket in created) owned.Add(socket);
            return new UdpBinding(unicast, group, joins, interfaces, unicast.ReceiveBufferSize);
        }
        catch
        {
            foreach (var socket in created) socket.Dispose();
            throw;
        }
    }

    private static Socket CreateSocket(ISocketFactory factory, UdpTransportOptions options, List<Socket> created, bool shared)
    {
        var socket = factory.CreateUdpSocket();
        created.Add(socket);
        if (shared) ShareAddress(socket);
        // IP_PKTINFO: destination address and arrival interface of each datagram.
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.PacketInformation, true);
        // We never want our own group traffic back.
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, false);
        socket.ReceiveBufferSize = options.ReceiveBufferBytes;
        socket.SendBufferSize = options.SendBufferBytes;
        if (OperatingSystem.IsLinux())
        {
            TryForce(socket, SoRcvBufForce, options.ReceiveBufferBytes);
            TryForce(socket, SoSndBufForce, options.SendBufferBytes);
        }

        return socket;
    }

    /// <summary>
    /// SO_REUSEADDR alone. .NET's <see cref="SocketOptionName.ReuseAddress"/> sets SO_REUSEPORT too on
    /// Linux, and a reuse-port group hands each group datagram to one of its sockets by hash, before
    /// any membership check: with two daemons on one host, each VLAN's phones reached one of the two
    /// at random, often the wrong one.
    /// </summary>
    private static void ShareAddress(Socket socket)
    {
        if (OperatingSystem.IsLinux()) socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
        else socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
    }

    /// <summary>
    /// Linux delivers a group datagram to every socket bound to its port once <em>any</em> socket of the
    /// host joined the group on <em>any</em> interface (IP_MULTICAST_ALL defaults to 1): a daemon told to
    /// serve one VLAN would answer the phones of another VLAN that a second daemon serves. Off, the kernel
    /// checks the datagram against this socket's own (group, interface) memberships. The receive loop
    /// checks the arrival interface as well, for kernels without the option.
    /// </summary>
    private static void OnlyOwnMemberships(Socket socket, bool enabled)
    {
        if (!enabled || !OperatingSystem.IsLinux()) return;
        try
        {
            socket.SetRawSocketOption(IpProtoIp, IpMulticastAll, BitConverter.GetBytes(0));
        }
        catch (SocketException)
        {
            // Older kernels (< 2.6.31): the receive loop's interface check still drops foreign datagrams.
        }
    }

    private static void TryForce(Socket socket, int option, int bytes)
    {
        try
        {
            socket.SetRawSocketOption(SolSocket, option, BitConverter.GetBytes(bytes));
        }
        catch (SocketException)
        {
            // Without CAP_NET_ADMIN the kernel keeps the capped size; the actor warns about it.
        }
    }
}
