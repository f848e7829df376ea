using System.Net;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using SnomActors.Simulator.Fetching;
using SnomActors.Simulator.Phones;
using SnomActors.Simulator.Profiles;
using SnomActors.Sip.Building;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Parsing;
using SnomActors.Transport;

namespace SnomActors.Simulator.Tests.Phones;

/// <summary>The phone's state machine in virtual time, with probes as its transport and reporter.</summary>
public sealed class SimulatedPhoneTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.loglevel = WARNING
        """);

    private static readonly IPEndPoint Server = new(IPAddress.Parse("10.0.0.1"), 5060);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(150);

    private readonly TestProbe _transport;
    private readonly TestProbe _reporter;
    private readonly FakeSettingsFetcher _fetcher = new();

    public SimulatedPhoneTests() : base(Config)
    {
        _transport = CreateTestProbe();
        _reporter = CreateTestProbe();
    }

    private TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    private (IActorRef Phone, PhoneIdentity Identity, IPEndPoint Local) Start(PhoneProfile profile)
    {
        var identity = PhonePlanner.Plan(VendorMix.Parse(profile.Vendor), 1, seed: 5)[0];
        var local = new IPEndPoint(IPAddress.Parse("10.0.0.2"), profile.SipPort);
        var phone = Sys.ActorOf(SimulatedPhone.Props(identity, local, _transport.Ref, _reporter.Ref,
            new PhoneOptions { Fetcher = _fetcher }));
        phone.Tell(SimulatedPhone.Boot.Instance);
        return (phone, identity, local);
    }

    private SipRequest ExpectSubscribe()
    {
        var send = _transport.ExpectMsg<SipTransport.Send>();
        Assert.Equal(PhoneOptions.MulticastTarget, send.Destination);
        Assert.True(SipParser.TryParse(send.Data.Span, out var message, out _));
        return Assert.IsType<SipRequest>(message);
    }

    private static SipRequest Notify(SipRequest subscribe, IPEndPoint phone, string url, string branch = "z9hG4bKnotify1")
    {
        var dialog = NotifierDialog.FromSubscribe(subscribe, phone, "servertag", "sip:10.0.0.1:5060");
        var bytes = NotifyBuilder.Build(dialog, subscribe.CSeq.Number + 1, "10.0.0.1:5060", branch,
            NotifyBuilder.TerminatedTimeout, NotifyBuilder.ApplicationUrl, NotifyBuilder.UrlBody(url));
        Assert.True(SipParser.TryParse(bytes, out var message, out _));
        return (SipRequest)message!;
    }

    private static SipResponse Ok(SipRequest subscribe, IPEndPoint phone, int status = 200)
    {
        var bytes = SipResponseBuilder.Build(subscribe, phone, status, "servertag");
        Assert.True(SipParser.TryParse(bytes, out var message, out _));
        return (SipResponse)message!;
    }

    private static SimulatedPhone.Inbound FromServer(SipMessage message, IPEndPoint local) =>
        new(message, new DatagramOrigin(Server, local.Address, 0, false));

    [Fact]
    public void An_unanswered_SUBSCRIBE_is_retransmitted_on_timer_E_doubling_from_T1_to_T2()
    {
        Start(PhoneProfiles.Snom);
        var first = _transport.ExpectMsg<SipTransport.Send>();
        _reporter.ExpectMsg<PhoneProgress>(p => p.Step == PhoneStep.Booted);

        // RFC 3261 §17.1.2.2: 0.5, 1, 2, 4, 4, 4 … seconds between transmissions.
        foreach (var gap in new[] { 500, 1000, 2000, 4000, 4000, 4000 })
        {
            Clock.Advance(TimeSpan.FromMilliseconds(gap - 1));
            _transport.ExpectNoMsg(Quiet);
            Clock.Advance(TimeSpan.FromMilliseconds(1));
            var again = _transport.ExpectMsg<SipTransport.Send>();
            // Byte-identical: the branch-less snom SUBSCRIBE is matched by the RFC 2543 rules.
            Assert.Equal(first.Data.ToArray(), again.Data.ToArray());
        }
    }

    [Fact]
    public void A_Panasonic_phone_gives_up_after_five_seconds_without_any_answer()
    {
        Start(PhoneProfiles.Panasonic);
        ExpectSubscribe();
        foreach (var gap in new[] { 500, 1000, 2000 })
        {
            Clock.Advance(TimeSpan.FromMilliseconds(gap));
            ExpectSubscribe();
        }
        _reporter.ExpectMsg<PhoneProgress>();
        Clock.Advance(TimeSpan.FromMilliseconds(1499)); // t = 4.999 s
        _reporter.ExpectNoMsg(Quiet);
        Clock.Advance(TimeSpan.FromMilliseconds(1));

        var result = _reporter.ExpectMsg<PhoneResult>();
        Assert.Equal(PhoneOutcome.NoAnswer, result.Outcome);
        Assert.Equal(4, result.SubscribeTransmissions);
        Assert.Equal(TimeSpan.FromSeconds(5), result.FinishedAt - result.BootedAt);
        _transport.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void A_Grandstream_phone_stops_after_five_transmissions()
    {
        Start(PhoneProfiles.Grandstream);
        var subscribe = ExpectSubscribe();
        Assert.Equal(20000u, subscribe.CSeq.Number);
        foreach (var gap in new[] { 500, 1000, 2000, 4000 })
        {
            Clock.Advance(TimeSpan.FromMilliseconds(gap));
            ExpectSubscribe();
        }
        Clock.Advance(TimeSpan.FromMilliseconds(4000)); // 11.5 s: a sixth send would be due here
        _transport.ExpectNoMsg(Quiet);
        Clock.Advance(TimeSpan.FromMilliseconds(500));
        _reporter.FishForMessage<PhoneResult>(_ => true);
    }

    [Fact]
    public void A_NOTIFY_that_overtakes_the_200_is_answered_and_provisions_the_phone()
    {
        var (phone, identity, local) = Start(PhoneProfiles.Snom);
        var subscribe = ExpectSubscribe();
        _reporter.ExpectMsg<PhoneProgress>(p => p.Step == PhoneStep.Booted);

        // RFC 6665 §4.1.2.4: NOTIFY first.
        phone.Tell(FromServer(Notify(subscribe, local, "http://10.0.0.1:8080/settings/{mac}.xml"), local));
        var ok = _transport.ExpectMsg<SipTransport.Send>();
        Assert.Equal(Server, ok.Destination); // top Via with rport → received:rport = the source
        Assert.True(SipParser.TryParse(ok.Data.Span, out var okMessage, out _));
        var okResponse = Assert.IsType<SipResponse>(okMessage);
        Assert.Equal(200, okResponse.StatusCode);
        Assert.Equal(SipMethods.Notify, okResponse.CSeq.Method);
        Assert.Equal(subscribe.CallId, okResponse.CallId);
        _reporter.ExpectMsg<PhoneProgress>(p => p.Step == PhoneStep.Notified);
        _reporter.ExpectMsg<PhoneProgress>(p => p.Step == PhoneStep.Downloaded);
        // The result waits for the SUBSCRIBE transaction so that SUBSCRIBE→200 is measured.
        _reporter.ExpectNoMsg(Quiet);

        Clock.Advance(TimeSpan.FromMilliseconds(20));
        phone.Tell(FromServer(Ok(subscribe, local), local));
        _reporter.ExpectMsg<PhoneProgress>(p => p.Step == PhoneStep.Answered);
        var result = _reporter.ExpectMsg<PhoneResult>();
        Assert.Equal(PhoneOutcome.Provisioned, result.Outcome);
        Assert.Equal(TimeSpan.Zero, result.SubscribeToNotify);
        Assert.Equal(TimeSpan.FromMilliseconds(20), result.SubscribeToAnswer);
        Assert.Equal(1, result.SubscribeTransmissions);
        // snom fills in {mac} itself (upper-case hex).
        Assert.Equal($"http://10.0.0.1:8080/settings/{identity.Mac.ToUpperInvariant()}.xml", result.Url);
        Assert.Equal(1, _fetcher.TotalFetches);
    }

    [Fact]
    public void A_retransmitted_NOTIFY_gets_the_very_same_200_and_no_second_download()
    {
        var (phone, _, local) = Start(PhoneProfiles.Yealink);
        var subscribe = ExpectSubscribe();
        phone.Tell(FromServer(Ok(subscribe, local), local));
        var notify = Notify(subscribe, local, "http://10.0.0.1:8080/settings/");

        phone.Tell(FromServer(notify, local));
        var first = _transport.ExpectMsg<SipTransport.Send>();
        phone.Tell(FromServer(notify, local));
        var second = _transport.ExpectMsg<SipTransport.Send>();

        Assert.Equal(first.Data.ToArray(), second.Data.ToArray());
        // Yealink: no rport in its Via, so the 200 goes to the source address on the sent-by port (5060).
        Assert.Equal(new IPEndPoint(Server.Address, 5060), second.Destination);
        var result = _reporter.FishForMessage<PhoneResult>(_ => true);
        Assert.Equal(PhoneOutcome.Provisioned, result.Outcome);
        Assert.Equal(1, _fetcher.TotalFetches);
        Assert.EndsWith($"/settings/{result.Mac}.boot", result.Url); // a directory URL: the phone fetches <mac>.boot
    }

    [Fact]
    public void A_phone_whose_NOTIFY_never_comes_reports_it_after_timer_N()
    {
        var (phone, _, local) = Start(PhoneProfiles.Snom);
        var subscribe = ExpectSubscribe();
        phone.Tell(FromServer(Ok(subscribe, local), local));
        _reporter.FishForMessage<PhoneProgress>(p => p.Step == PhoneStep.Answered);
        Clock.Advance(TimeSpan.FromSeconds(32) - TimeSpan.FromMilliseconds(1));
        _reporter.ExpectNoMsg(Quiet);
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(PhoneOutcome.NotifyMissing, _reporter.ExpectMsg<PhoneResult>().Outcome);
        _transport.ExpectNoMsg(Quiet); // the 200 ended the transaction: no retransmissions
    }

    [Fact]
    public void A_final_error_response_ends_PnP_as_rejected()
    {
        var (phone, _, local) = Start(PhoneProfiles.Grandstream);
        var subscribe = ExpectSubscribe();
        phone.Tell(FromServer(Ok(subscribe, local, 503), local));
        var result = _reporter.FishForMessage<PhoneResult>(_ => true);
        Assert.Equal("rejected(503)", result.OutcomeLabel);
    }

    [Fact]
    public void A_Grandstream_phone_ignores_a_URL_that_is_not_a_directory()
    {
        var (phone, _, local) = Start(PhoneProfiles.Grandstream);
        var subscribe = ExpectSubscribe();
        phone.Tell(FromServer(Ok(subscribe, local), local));
        phone.Tell(FromServer(Notify(subscribe, local, "http://10.0.0.1:8080/settings/x.xml"), local));
        var result = _reporter.FishForMessage<PhoneResult>(_ => true);
        Assert.Equal(PhoneOutcome.BadNotify, result.Outcome);
        Assert.Equal(0, _fetcher.TotalFetches);
    }

    [Fact]
    public void A_failed_download_is_reported_with_its_status()
    {
        var fetcher = new FakeSettingsFetcher { Decide = _ => FetchResult.Failed("HTTP 404", 404) };
        var identity = PhonePlanner.Plan(VendorMix.Parse("fanvil"), 1, seed: 5)[0];
        var local = new IPEndPoint(IPAddress.Parse("10.0.0.2"), 5060);
        var phone = Sys.ActorOf(SimulatedPhone.Props(identity, local, _transport.Ref, _reporter.Ref, new PhoneOptions { Fetcher = fetcher }));
        phone.Tell(SimulatedPhone.Boot.Instance);
        var subscribe = ExpectSubscribe();
        phone.Tell(FromServer(Ok(subscribe, local), local));
        phone.Tell(FromServer(Notify(subscribe, local, "http://10.0.0.1:8080/p/$mac.cfg"), local));
        var result = _reporter.FishForMessage<PhoneResult>(_ => true);
        Assert.Equal(PhoneOutcome.DownloadFailed, result.Outcome);
        Assert.Equal(404, result.StatusCode);
        Assert.Equal($"http://10.0.0.1:8080/p/{identity.Mac}.cfg", result.Url);
    }
}
