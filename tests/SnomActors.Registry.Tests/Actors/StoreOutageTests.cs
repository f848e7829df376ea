using System.Net;
using System.Text;
using Akka.Actor;
using Akka.TestKit;
using SnomActors.Registry.Actors;
using SnomActors.Registry.Config;
using SnomActors.Registry.Model;
using SnomActors.Registry.Store;
using SnomActors.Registry.Tests.Support;
using SnomActors.Server.Actors;
using SnomActors.Server.Config;
using SnomActors.Sip.Building;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Parsing;
using SnomActors.Transport;

namespace SnomActors.Registry.Tests.Actors;

/// <summary>
/// Issue 5 (resilience): the registry's store is unavailable for 10 s in the middle of provisioning.
/// The PnP core (the real <see cref="DialogRouter"/>) and the registry run in one actor system on
/// the <see cref="TestScheduler"/>, so the 10 s, the registry's flush timer and its retry back-off
/// (production defaults: 250 ms, then 0.5 s doubling up to 5 s) pass in virtual time; only the
/// SQLite writes take real time.
/// </summary>
public sealed class StoreOutageTests : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    private const string Config = """
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        """;

    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);
    private static readonly IPAddress ServerAddress = IPAddress.Parse("10.75.0.1");

    private StoreContext ctx = null!;
    private IRegistryStore store = null!;
    private ProbeStore probe = null!;

    public StoreOutageTests() : base(Config)
    {
    }

    private TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    public async Task InitializeAsync()
    {
        ctx = await StoreContext.CreateAsync(StoreContext.Sqlite);
        (store, probe) = ProbeStore.Wrap(await ctx.OpenStoreAsync());
    }

    public async Task DisposeAsync()
    {
        await Sys.Terminate();
        await ctx.DisposeAsync();
    }

    [Fact]
    public async Task Ten_seconds_without_a_store_block_no_PnP_exchange_and_lose_no_record_once_the_store_is_back()
    {
        var options = new RegistryOptions(); // the daemon's write path: flush after 250 ms, retries 0.5 s … 5 s
        var registry = Sys.ActorOf(DeviceRegistry.Props(store, options), "registry");
        await AwaitAssertAsync(async () => Assert.True((await registry.Ask<DeviceRegistry.ReadyResult>(DeviceRegistry.GetReady.Instance)).Ready),
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(50));
        var wire = CreateTestProbe("wire");
        var router = Sys.ActorOf(DialogRouter.Props(new PnpOptions(), new WireTransportFactory(wire.Ref)), "router");

        probe.Down = true;
        var start = Clock.Now;
        var phones = 0;
        // One phone boots every 500 ms of the outage; each one's exchange (200, NOTIFY, the phone's 200)
        // and its settings download must go through at once: nothing waits for the store.
        while (Clock.Now - start < Outage)
        {
            if ((Clock.Now - start).Ticks % TimeSpan.FromMilliseconds(500).Ticks == 0)
            {
                var phone = phones++;
                await RunExchangeAsync(router, wire, phone);
                registry.Tell(new DeviceRegistry.RecordDownload(Devices.Mac(phone), Clock.Now, "10.75.1.1", 200, 321, "\"v1\"", $"/settings/{Devices.Mac(phone)}.xml"));
            }
            Clock.Advance(Step);
            // A round trip, so that failures the registry was told about start their retry timer now.
            await registry.Ask<RegistryStats>(DeviceRegistry.GetStats.Instance);
        }

        var during = await registry.Ask<RegistryStats>(DeviceRegistry.GetStats.Instance);
        Assert.Empty(probe.Written);
        // Back-off, not a busy loop: attempts at about 0.25, 0.75, 1.75, 3.75 and 7.75 s.
        Assert.InRange(during.FailedFlushes, 4, 7);
        Assert.Equal(0, during.DroppedChanges);
        // The live view (what downloads and the web page read) has every phone meanwhile.
        var live = await registry.Ask<DevicePage>(new DeviceRegistry.ListDevices(new DeviceQuery(State: DeviceState.Downloaded, Limit: 1)));
        Assert.Equal(phones, live.Total);

        probe.Down = false;
        var back = Clock.Now;
        // No one asks for a flush: the registry's own retry timer writes everything, within the back-off cap.
        while (probe.Written.IsEmpty && Clock.Now - back <= options.MaxRetryInterval)
        {
            Clock.Advance(Step);
            await registry.Ask<RegistryStats>(DeviceRegistry.GetStats.Instance);
        }
        await AwaitAssertAsync(async () =>
        {
            var stats = await registry.Ask<RegistryStats>(DeviceRegistry.GetStats.Instance);
            Assert.Equal(0, stats.PendingChanges);
            Assert.Null(stats.LastStoreError);
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20));
        Assert.NotEmpty(probe.Written);

        Assert.Equal(20, phones);
        Assert.Equal(phones, (await store.ListDevicesAsync(new DeviceQuery(State: DeviceState.Downloaded, Limit: 1))).Total);
        for (var i = 0; i < phones; i++)
        {
            var device = await store.GetDeviceAsync(Devices.Mac(i));
            Assert.True(device is { AnsweredAt: not null, NotifySentAt: not null, NotifyAckedAt: not null, SettingsDownloadedAt: not null },
                $"phone {i} incomplete in the store: {device}");
            Assert.Single(await store.ListDownloadsAsync(Devices.Mac(i)));
        }
        // seen, answered, notified, provisioned, downloaded: five timeline events per phone.
        Assert.Equal(phones * 5L, Convert.ToInt64(await ctx.ScalarAsync("SELECT COUNT(*) FROM device_events")));
        Assert.Equal(0, (await registry.Ask<RegistryStats>(DeviceRegistry.GetStats.Instance)).DroppedChanges);
    }

    /// <summary>A snom phone's SUBSCRIBE in; the 200 and the NOTIFY must be on the wire without the clock moving; the phone's 200 back.</summary>
    private static async Task RunExchangeAsync(IActorRef router, TestProbe wire, int phone)
    {
        var mac = Devices.Mac(phone).ToUpperInvariant();
        var source = new IPEndPoint(IPAddress.Parse("10.75.1.1"), 2000 + phone);
        var subscribe = Encoding.ASCII.GetBytes(
            $"SUBSCRIBE sip:MAC%3a{mac}@224.0.1.75 SIP/2.0\r\n" +
            $"Via: SIP/2.0/UDP {source};branch=z9hG4bKoutage{phone};rport\r\n" +
            $"From: <sip:MAC%3a{mac}@224.0.1.75>;tag=phone{phone}\r\n" +
            $"To: <sip:MAC%3a{mac}@224.0.1.75>\r\n" +
            $"Call-ID: outage-{phone}@{source.Address}\r\n" +
            "CSeq: 1 SUBSCRIBE\r\n" +
            "Event: ua-profile;profile-type=\"device\";vendor=\"snom\";model=\"snom710\";version=\"10.1.2.3\"\r\n" +
            "Expires: 0\r\nAccept: application/url\r\n" +
            $"Contact: <sip:{source}>\r\nContent-Length: 0\r\n\r\n");
        var origin = new DatagramOrigin(source, ServerAddress, 2, ViaMulticast: false);
        router.Tell(new SipTransport.Received(subscribe, origin));

        var ok = Parse(wire.ExpectMsg<SipTransport.Send>(TimeSpan.FromSeconds(5)));
        Assert.Equal(200, Assert.IsType<SipResponse>(ok).StatusCode);
        var notify = Assert.IsType<SipRequest>(Parse(wire.ExpectMsg<SipTransport.Send>(TimeSpan.FromSeconds(5))));
        Assert.Equal(SipMethods.Notify, notify.Method);
        var answer = SipResponseBuilder.Build(notify, new IPEndPoint(ServerAddress, 5060), 200, $"phone{phone}");
        router.Tell(new SipTransport.Received(answer, new DatagramOrigin(source, ServerAddress, 2, ViaMulticast: false)));

        // The dialog reads the phone's 200 asynchronously: wait until it has ended, or moving the clock
        // next would fire its Timer E and put a NOTIFY retransmission on the wire.
        for (var attempt = 0; attempt < 500; attempt++)
        {
            if ((await router.Ask<DialogRouter.LiveDialogs>(DialogRouter.GetLiveDialogs.Instance, TimeSpan.FromSeconds(5))).Dialogs == 0) return;
            await Task.Delay(10);
        }
        Assert.Fail($"phone {phone}'s dialog did not end after its NOTIFY was answered");
    }

    private static SipMessage Parse(SipTransport.Send send)
    {
        Assert.True(SipParser.TryParse(send.Data.Span, out var message, out var error), $"unparseable datagram: {error}");
        return message!;
    }

    /// <summary>The router's transport: every datagram it sends goes to the wire probe.</summary>
    private sealed class WireTransportFactory(IActorRef wire) : ITransportFactory
    {
        public Props CreateProps(IActorRef listener) => Props.Create<WireTransport>(wire);
    }

    private sealed class WireTransport : ReceiveActor
    {
        public WireTransport(IActorRef wire) => Receive<SipTransport.Send>(send => wire.Tell(send));
    }
}
