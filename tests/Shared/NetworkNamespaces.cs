using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

// One copy, compiled into each test project that needs it (linked from its csproj), so that every
// test project still builds on its own.
namespace SnomActors.Tests.Shared;

/// <summary>
/// A "server" and a "phone" network namespace, joined by a veth pair (testing.md recipe), so that
/// multicast never touches the machine's own network: <c>pnp-srv-PID-N</c> / <c>pnp-phone-PID-N</c>,
/// 10.75.X.1/24 and 10.75.X.2/24, 224.0.0.0/4 routed on each veth. Deleted on dispose (stop any
/// process inside first: deleting a namespace does not stop them).
/// </summary>
internal sealed class NamespacePair : IDisposable
{
    private static int _instances;

    private readonly string _name;
    private readonly string _tag;
    private readonly int _subnet;

    private NamespacePair(int pid, int instance)
    {
        _name = $"{pid}-{instance}";
        Server = $"pnp-srv-{_name}";
        Phone = $"pnp-phone-{_name}";
        // Interface names are limited to 15 characters.
        _tag = $"{pid % 100_000}{instance % 10}";
        ServerLink = $"pnps{_tag}";
        PhoneLink = $"pnpp{_tag}";
        _subnet = 10 + (pid * 7 + instance) % 240;
        ServerAddress = IPAddress.Parse($"10.75.{_subnet}.1");
        PhoneAddress = IPAddress.Parse($"10.75.{_subnet}.2");
        ExtraPhoneAddresses = [IPAddress.Parse($"10.75.{_subnet}.3"), IPAddress.Parse($"10.75.{_subnet}.4")];
    }

    public string Server { get; }

    public string Phone { get; }

    /// <summary>The veth end inside the server namespace.</summary>
    public string ServerLink { get; }

    /// <summary>The veth end inside the phone namespace.</summary>
    public string PhoneLink { get; }

    public IPAddress ServerAddress { get; }

    public IPAddress PhoneAddress { get; }

    /// <summary>
    /// More addresses on the phone's veth (10.75.X.3, .4): the daemon rate-limits new transactions per
    /// source IP, so floods of test traffic come from their own addresses and never starve the "phone".
    /// </summary>
    public IReadOnlyList<IPAddress> ExtraPhoneAddresses { get; }

    /// <summary>
    /// Creates both namespaces (loopback up) and, unless <paramref name="link"/> is false, the veth
    /// pair between them; or returns null with the reason when the machine forbids it.
    /// </summary>
    public static NamespacePair? TryCreate(out string reason, bool link = true)
    {
        if (!OperatingSystem.IsLinux())
        {
            reason = "network namespaces are Linux-only";
            return null;
        }

        var pair = new NamespacePair(Environment.ProcessId, Interlocked.Increment(ref _instances));
        try
        {
            Ip($"netns add {pair.Server}");
            Ip($"netns add {pair.Phone}");
            Ip($"-n {pair.Server} link set lo up");
            Ip($"-n {pair.Phone} link set lo up");
            if (link) pair.Link();
            reason = "";
            return pair;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            pair.Dispose();
            reason = $"network namespaces unavailable here (run as root with iproute2 to include this test): {e.Message}";
            return null;
        }
    }

    /// <summary>Adds the veth pair: addresses on both ends (and the extra phone addresses), both up, 224.0.0.0/4 routed on each.</summary>
    public void Link()
    {
        Ip($"link add {ServerLink} netns {Server} type veth peer name {PhoneLink} netns {Phone}");
        Ip($"-n {Server} addr add {ServerAddress}/24 dev {ServerLink}");
        Ip($"-n {Phone} addr add {PhoneAddress}/24 dev {PhoneLink}");
        foreach (var extra in ExtraPhoneAddresses) Ip($"-n {Phone} addr add {extra}/24 dev {PhoneLink}");
        Ip($"-n {Server} link set {ServerLink} up");
        Ip($"-n {Phone} link set {PhoneLink} up");
        Ip($"-n {Server} route add 224.0.0.0/4 dev {ServerLink}");
        Ip($"-n {Phone} route add 224.0.0.0/4 dev {PhoneLink}");
    }

    /// <summary>A second phone LAN (another VLAN) on the same server namespace, once <see cref="AddSecondLan"/> made it.</summary>
    public SecondLan? Second { get; private set; }

    /// <summary>
    /// Adds a second phone namespace joined to the server by its own veth pair and subnet
    /// (10.76.X.0/24): two VLANs served from one host. Only the first LAN's link carries the
    /// server's 224.0.0.0/4 route; joins name their interface, so none is needed here.
    /// </summary>
    public SecondLan AddSecondLan()
    {
        var lan = new SecondLan(
            $"pnp-phone2-{_name}", $"pnpt{_tag}", $"pnpq{_tag}",
            IPAddress.Parse($"10.76.{_subnet}.1"), IPAddress.Parse($"10.76.{_subnet}.2"));
        Second = lan;
        Ip($"netns add {lan.Phone}");
        Ip($"-n {lan.Phone} link set lo up");
        Ip($"link add {lan.ServerLink} netns {Server} type veth peer name {lan.PhoneLink} netns {lan.Phone}");
        Ip($"-n {Server} addr add {lan.ServerAddress}/24 dev {lan.ServerLink}");
        Ip($"-n {lan.Phone} addr add {lan.PhoneAddress}/24 dev {lan.PhoneLink}");
        Ip($"-n {Server} link set {lan.ServerLink} up");
        Ip($"-n {lan.Phone} link set {lan.PhoneLink} up");
        Ip($"-n {lan.Phone} route add 224.0.0.0/4 dev {lan.PhoneLink}");
        return lan;
    }

    /// <summary>Deletes the veth pair (both ends, their addresses and routes).</summary>
    public void Unlink() => Ip($"-n {Server} link del {ServerLink}");

    /// <summary>The interface index of <paramref name="link"/> in <paramref name="ns"/>, read from iproute2 ("5: name@if4: ...").</summary>
    public static int IndexOf(string ns, string link)
    {
        var line = Ip($"-n {ns} -o link show dev {link}");
        return int.Parse(line[..line.IndexOf(':')], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A UDP socket created inside the phone namespace (unbound).</summary>
    public Socket PhoneUdpSocket() => UdpSocketIn(Phone);

    /// <summary>A UDP socket created inside namespace <paramref name="ns"/> (unbound).</summary>
    public static Socket UdpSocketIn(string ns) =>
        NamespaceThread.Run(ns, () => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));

    /// <summary>An HTTP client whose connections are made from inside the phone namespace.</summary>
    public HttpClient PhoneHttpClient() => HttpClientIn(Phone);

    /// <summary>An HTTP client whose connections are made from inside namespace <paramref name="ns"/>.</summary>
    public static HttpClient HttpClientIn(string ns)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (context, cancellation) =>
            {
                var socket = NamespaceThread.Run(ns, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
    }

    public void Dispose()
    {
        // Deleting a namespace destroys the veth ends (and routes) inside it.
        TryIp($"netns del {Server}");
        TryIp($"netns del {Phone}");
        if (Second is not null) TryIp($"netns del {Second.Phone}");
    }

    private static void TryIp(string arguments)
    {
        try
        {
            Ip(arguments);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static string Ip(string arguments)
    {
        var start = new ProcessStartInfo("ip", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start ip");
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"ip {arguments} exited {process.ExitCode}: {stderr.Trim()}");
        return stdout;
    }
}

/// <summary>A second phone LAN of a <see cref="NamespacePair"/>: its phone namespace, the veth ends and their addresses.</summary>
internal sealed record SecondLan(string Phone, string ServerLink, string PhoneLink, IPAddress ServerAddress, IPAddress PhoneAddress);

/// <summary>
/// Runs a function on a short-lived thread that has entered a network namespace with setns(2): a
/// socket keeps the namespace it was created in, whichever thread uses it later, so the tests need
/// no helper process.
/// </summary>
internal static class NamespaceThread
{
    private const int CloneNewNet = 0x40000000;

    public static T Run<T>(string ns, Func<T> action)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using (var handle = File.OpenHandle($"/var/run/netns/{ns}"))
                {
                    if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                        throw new InvalidOperationException($"setns({ns}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                result = action();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        if (error is not null) throw error;
        return result;
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // DllImport keeps the test projects free of AllowUnsafeBlocks.
    private static extern int setns(int fd, int nstype);
#pragma warning restore SYSLIB1054
}
