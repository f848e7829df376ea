using System.Globalization;
using System.Net;
using SnomActors.EndToEnd.Tests.Support;
using SnomActors.Sip.Tests.Corpus;
using SnomActors.Tests.Shared;

namespace SnomActors.EndToEnd.Tests;

/// <summary>
/// One host serving two phone VLANs with one daemon each (deploy/systemd/snomactors@.service): a
/// server namespace with two veth links, a phone namespace behind each, and two daemon processes on
/// port 5060, each with <c>--sip-address</c> and <c>--multicast-interface</c> of its own link.
/// </summary>
public sealed class PerVlanInstancesFixture : IAsyncLifetime
{
    public const int SipPort = 5060;
    public const int HttpPort = 8080;

    private readonly List<string> _directories = [];

    internal NamespacePair? Namespaces { get; private set; }

    internal SecondLan? Second { get; private set; }

    internal DaemonProcess? First { get; private set; }

    internal DaemonProcess? Other { get; private set; }

    public string? SkipReason { get; private set; }

    public async Task InitializeAsync()
    {
        Namespaces = NamespacePair.TryCreate(out var reason);
        if (Namespaces is null)
        {
            SkipReason = reason;
            return;
        }
        Second = Namespaces.AddSecondLan();
        First = StartDaemon(Namespaces.ServerAddress, Namespaces.ServerLink);
        Other = StartDaemon(Second.ServerAddress, Second.ServerLink);
        foreach (var (daemon, phone, address) in new[] { (First, Namespaces.Phone, Namespaces.ServerAddress), (Other, Second.Phone, Second.ServerAddress) })
        {
            await daemon.WaitForSipBoundAsync(LoopbackDaemon.StartTimeout);
            using var http = NamespacePair.HttpClientIn(phone);
            await daemon.WaitForReadyAsync(http, new Uri($"http://{address}:{HttpPort}/"), LoopbackDaemon.StartTimeout);
        }
    }

    /// <summary>A daemon in the server namespace pinned to <paramref name="address"/> and <paramref name="link"/>; its files go when the fixture does.</summary>
    internal DaemonProcess StartDaemon(IPAddress address, string link, int httpPort = HttpPort)
    {
        var directory = Directory.CreateTempSubdirectory("snomactors-e2e-vlan-").FullName;
        _directories.Add(directory);
        return DaemonProcess.Start(
        [
            "--sip-address", address.ToString(), "--multicast-interface", link,
            "--sip-port", SipPort.ToString(CultureInfo.InvariantCulture),
            "--http-url", $"http://{address}:{httpPort}", "--data", Path.Combine(directory, "data"),
        ], directory, Namespaces!.Server);
    }

    public async Task DisposeAsync()
    {
        try
        {
            foreach (var daemon in new[] { First, Other })
            {
                if (daemon is null) continue;
                await daemon.TerminateAsync(TimeSpan.FromSeconds(10));
                daemon.Dispose();
            }
        }
        finally
        {
            Namespaces?.Dispose();
            foreach (var directory in _directories) Directory.Delete(directory, recursive: true);
        }
    }
}

/// <summary>Several daemons on one host, one per phone VLAN: each answers its own VLAN's phones and only those.</summary>
public sealed class PerVlanInstancesTests(PerVlanInstancesFixture fixture) : IClassFixture<PerVlanInstancesFixture>
{
    private static readonly IPEndPoint Group = new(IPAddress.Parse("224.0.1.75"), PerVlanInstancesFixture.SipPort);

    [SkippableFact]
    public async Task Each_VLANs_phones_are_answered_by_their_own_daemon_only_however_often_they_boot()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var ns = fixture.Namespaces!;
        var second = fixture.Second!;
        var lans = new[]
        {
            (Phone: ns.Phone, PhoneAddress: ns.PhoneAddress, Server: ns.ServerAddress, Daemon: fixture.First!),
            (Phone: second.Phone, PhoneAddress: second.PhoneAddress, Server: second.ServerAddress, Daemon: fixture.Other!),
        };

        // Several rounds: a reuse-port group picks one socket per datagram by hash, so a single
        // lucky exchange would prove little.
        for (var round = 0; round < 4; round++)
        {
            foreach (var lan in lans)
            {
                using var phone = new PhoneSocket(NamespacePair.UdpSocketIn(lan.Phone), new IPEndPoint(lan.PhoneAddress, 0));
                var mac = TestMessages.NewMac();
                phone.Send(TestMessages.Subscribe(phone.LocalEndPoint, mac, $"e2e-vlan-{round}-{Guid.NewGuid():N}"), Group);

                var ok = await phone.ExpectAsync($"the 200 on the VLAN of {lan.Server} (round {round})", TimeSpan.FromSeconds(5), () => lan.Daemon.Describe());
                Assert.Equal(200, ok.Message.StatusCode);
                Assert.Equal(new IPEndPoint(lan.Server, PerVlanInstancesFixture.SipPort), ok.From);
                var notify = await phone.ExpectAsync("the NOTIFY", TimeSpan.FromSeconds(5), () => lan.Daemon.Describe());
                Assert.Equal("NOTIFY", notify.Message.Method);
                Assert.Equal(new IPEndPoint(lan.Server, PerVlanInstancesFixture.SipPort), notify.From);
                Assert.Equal($"http://{lan.Server}:{PerVlanInstancesFixture.HttpPort}/settings/{mac}.xml", notify.Message.Body.TrimEnd('\r', '\n'));
                phone.Answer(notify);

                // The other VLAN's daemon must not have answered too.
                var extra = await phone.CollectAsync(TimeSpan.FromMilliseconds(400));
                Assert.True(extra.Count == 0, $"round {round}: more datagrams than one exchange:\n{string.Join("\n", extra.Select(a => $"{a.From} {a.Message.StartLine}"))}");
            }
        }
    }

    [SkippableFact]
    public async Task A_third_daemon_on_an_address_and_port_already_served_does_not_start_sharing_it()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var ns = fixture.Namespaces!;
        using var duplicate = fixture.StartDaemon(ns.ServerAddress, ns.ServerLink, PerVlanInstancesFixture.HttpPort + 1);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline && duplicate.LinesContaining("Address already in use").Count == 0)
            await Task.Delay(100);
        Assert.True(duplicate.LinesContaining("Address already in use").Count > 0, duplicate.Describe());
        Assert.Empty(duplicate.LinesContaining("SIP transport bound on"));
        await duplicate.TerminateAsync(TimeSpan.FromSeconds(10));
    }
}
