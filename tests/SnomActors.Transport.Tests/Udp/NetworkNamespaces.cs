using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SnomActors.Transport.Udp;

namespace SnomActors.Transport.Tests.Udp;

/// <summary>
/// A "server" and a "phone" network namespace, optionally joined by a veth pair (testing.md), so that
/// multicast never touches the machine's own network. Unique names per process and instance; deleted
/// on dispose.
/// </summary>
internal sealed class NamespacePair : IDisposable
{
    public const string ServerAddress = "10.75.0.1";
    public const string PhoneAddress = "10.75.0.2";

    private static int _instances;

    private NamespacePair(string tag)
    {
        Server = $"snx{tag}s";
        Phone = $"snx{tag}p";
        ServerLink = $"sv{tag}s";
        PhoneLink = $"sv{tag}p";
    }

    public string Server { get; }

    public string Phone { get; }

    /// <summary>The veth end inside the server namespace.</summary>
    public string ServerLink { get; }

    /// <summary>The veth end inside the phone namespace.</summary>
    public string PhoneLink { get; }

    /// <summary>Creates both namespaces (loopback up), or returns null with the reason when the machine forbids it.</summary>
    public static NamespacePair? TryCreate(out string reason)
    {
        // Interface names are limited to 15 characters: keep the tag short.
        var tag = $"{Environment.ProcessId % 100_000}{Interlocked.Increment(ref _instances)}";
        var pair = new NamespacePair(tag);
        try
        {
            Ip($"netns add {pair.Server}");
            Ip($"netns add {pair.Phone}");
            Ip($"-n {pair.Server} link set lo up");
            Ip($"-n {pair.Phone} link set lo up");
            reason = "";
            return pair;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            pair.Dispose();
            reason = $"network namespaces unavailable here: {e.Message}";
            return null;
        }
    }

    /// <summary>Adds the veth pair with 10.75.0.1/24 (server) and 10.75.0.2/24 (phone), both up, 224.0.0.0/4 routed on the phone side.</summary>
    public void Link()
    {
        Ip($"link add {ServerLink} netns {Server} type veth peer name {PhoneLink} netns {Phone}");
        Ip($"-n {Server} addr add {ServerAddress}/24 dev {ServerLink}");
        Ip($"-n {Phone} addr add {PhoneAddress}/24 dev {PhoneLink}");
        Ip($"-n {Server} link set {ServerLink} up");
        Ip($"-n {Phone} link set {PhoneLink} up");
        Ip($"-n {Phone} route add 224.0.0.0/4 dev {PhoneLink}");
    }

    /// <summary>Deletes the veth pair (both ends, their addresses and the phone's multicast route).</summary>
    public void Unlink() => Ip($"-n {Server} link del {ServerLink}");

    /// <summary>The interface index of <paramref name="link"/> in <paramref name="ns"/>, read from iproute2 ("5: name@if4: ...").</summary>
    public static int IndexOf(string ns, string link)
    {
        var line = Ip($"-n {ns} -o link show dev {link}");
        return int.Parse(line[..line.IndexOf(':')]);
    }

    public void Dispose()
    {
        // Deleting a namespace destroys the veth ends inside it.
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
/// Creates sockets, and lists interfaces, inside a network namespace without a separate process: a
/// short-lived thread enters the namespace with setns(2) and creates the socket there. A socket
/// keeps the namespace it was created in, whichever thread uses it later.
/// </summary>
internal sealed class NamespaceSocketFactory(string ns) : ISocketFactory
{
    private const int CloneNewNet = 0x40000000;

    public Socket CreateUdpSocket() => RunInside(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));

    public IReadOnlyList<NetworkInterfaceSnapshot> ListInterfaces() => RunInside(NetworkInterfaceSnapshot.FromSystem);

    private T RunInside<T>(Func<T> action)
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
#pragma warning disable SYSLIB1054 // DllImport keeps the test project free of AllowUnsafeBlocks.
    private static extern int setns(int fd, int nstype);
#pragma warning restore SYSLIB1054
}
