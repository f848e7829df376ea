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

    private NamespacePair(int pid, int instance)
    {
        Server = $"pnp-srv-{pid}-{instance}";
        Phone = $"pnp-phone-{pid}-{instance}";
        // Interface names are limited to 15 characters.
        var tag = $"{pid % 100_000}{instance % 10}";
        ServerLink = $"pnps{tag}";
        PhoneLink = $"pnpp{tag}";
        var subnet = 10 + (pid * 7 + instance) % 240;
        ServerAddress = IPAddress.Parse($"10.75.{subnet}.1");
        PhoneAddress = IPAddress.Parse($"10.75.{subnet}.2");
        ExtraPhoneAddresses = [IPAddress.Parse($"10.75.{subnet}.3"), IPAddress.Parse($"10.75.{subnet}.4")];
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

    /// <summary>Deletes the veth pair (both ends, their addresses and routes).</summary>
    public void Unlink() => Ip($"-n {Server} link del {ServerLink}");

    /// <summary>The interface index of <paramref name="link"/> in <paramref name="ns"/>, read from iproute2 ("5: name@if4: ...").</summary>
    public static int IndexOf(string ns, string link)
    {
        var line = Ip($"-n {ns} -o link show dev {link}");
        return int.Parse(line[..line.IndexOf(':')], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A UDP socket created inside the phone namespace (unbound).</summary>
    public Socket PhoneUdpSocket() =>
        NamespaceThread.Run(Phone, () => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));

    /// <summary>An HTTP client whose connections are made from inside the phone namespace.</summary>
    public HttpClient PhoneHttpClient()
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (context, cancellation) =>
            {
                var socket = NamespaceThread.Run(Phone, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
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
