using System.Net;
using SnomActors.Server.Config;
using SnomActors.Server.Messages;
using SnomActors.Server.Tests.Support;
using SnomActors.Sip.Messages;
using Xunit.Abstractions;

namespace SnomActors.Server.Tests;

/// <summary>
/// Which SUBSCRIBEs start a dialog: the live-dialog cap (503 / silence), the allow-list policy
/// (403 / silence), and CANCELs that reach a running SUBSCRIBE.
/// </summary>
public sealed class RouterAdmissionSpecs(ITestOutputHelper output) : PnpSpec(output)
{
    private static readonly IPEndPoint M700Address = new(IPAddress.Parse("10.0.0.91"), 5060);
    private static readonly IPEndPoint YealinkAddress = new(IPAddress.Parse("10.1.3.239"), 5059);

    [Fact]
    public void At_the_dialog_cap_a_unicast_SUBSCRIBE_gets_503_with_Retry_After_and_is_counted_as_shed()
    {
        StartRouter(DefaultOptions with { MaxLiveDialogs = 1, RetryAfterSeconds = 7 });
        StartExchange(SipText.Snom360);

        Inject(SipText.YealinkW52P, ByUnicast(YealinkAddress));
        var busy = ExpectResponse(503);
        Assert.Equal(YealinkAddress, busy.Destination);
        Assert.Equal("7", busy.Response.GetFirst(HeaderNames.RetryAfter));
        ExpectNoDatagram();
        Assert.Equal(1, LiveDialogs().Dialogs);
        Assert.Equal(1, Metrics.Shed["dialog-cap"]);
        Assert.Equal(1, Metrics.Subscribes[("yealink", "shed")]);
    }

    [Fact]
    public void At_the_dialog_cap_a_multicast_SUBSCRIBE_is_met_with_silence_and_still_counted_as_shed()
    {
        StartRouter(DefaultOptions with { MaxLiveDialogs = 1 });
        StartExchange(SipText.Snom360);

        Inject(SipText.YealinkW52P, ByMulticast(YealinkAddress));
        ExpectNoDatagram();
        ExpectNoEvent();
        Assert.Equal(1, LiveDialogs().Dialogs);
        Assert.Equal(1, Metrics.Shed["dialog-cap"]);
    }

    [Fact]
    public void Below_the_cap_again_after_a_dialog_ends_a_new_SUBSCRIBE_is_provisioned()
    {
        StartRouter(DefaultOptions with { MaxLiveDialogs = 1 });
        var first = StartExchange(SipText.Snom360);
        Inject(PhoneAnswer(first.Notify.Request, 200), ByUnicast());
        ExpectEvent<NotifyAcknowledged>();
        Settle(first.Dialog);
        AdvanceTo(5);
        ExpectStopped(first.Dialog);

        Inject(SipText.YealinkW52P, ByMulticast(YealinkAddress));
        ExpectResponse(200);
        ExpectNotify();
        Assert.False(Metrics.Shed.ContainsKey("dialog-cap"));
    }

    [Fact]
    public void With_the_allow_list_policy_an_unknown_MAC_gets_403_on_unicast()
    {
        StartRouter(DefaultOptions with { UnknownDevices = UnknownDevicePolicy.AllowListOnly, AllowedOuis = new HashSet<string> { "000413" } });
        Inject(SipText.YealinkW52P, ByUnicast(YealinkAddress));
        var forbidden = ExpectResponse(403);
        Assert.Equal(YealinkAddress, forbidden.Destination);
        ExpectNoDatagram();
        ExpectNoEvent();
        Assert.Equal(1, Metrics.Subscribes[("yealink", "rejected-403")]);
    }

    [Fact]
    public void With_the_allow_list_policy_an_unknown_MAC_gets_silence_on_multicast()
    {
        StartRouter(DefaultOptions with { UnknownDevices = UnknownDevicePolicy.AllowListOnly, AllowedOuis = new HashSet<string> { "000413" } });
        Inject(SipText.YealinkW52P, ByMulticast(YealinkAddress));
        ExpectNoDatagram();
        ExpectNoEvent();
        Assert.Equal(0, LiveDialogs().Dialogs);
        Assert.Equal(1, Metrics.Subscribes[("yealink", "silenced")]);
    }

    [Fact]
    public void With_the_allow_list_policy_a_phone_of_an_allow_listed_OUI_is_provisioned()
    {
        StartRouter(DefaultOptions with { UnknownDevices = UnknownDevicePolicy.AllowListOnly, AllowedOuis = new HashSet<string> { "000413" } });
        var exchange = StartExchange(SipText.Snom360);
        Assert.Equal(DefaultUrlFor("00041329882c"), System.Text.Encoding.UTF8.GetString(exchange.Notify.Request.Body.Span));
    }

    [Fact]
    public void With_the_allow_list_policy_an_allow_listed_MAC_is_provisioned()
    {
        StartRouter(DefaultOptions with { UnknownDevices = UnknownDevicePolicy.AllowListOnly, AllowedMacs = new HashSet<string> { "001565f4f9e1" } });
        Inject(SipText.YealinkW52P, ByMulticast(YealinkAddress));
        ExpectResponse(200);
        ExpectNotify();
        Inject(SipText.Snom360, ByMulticast());
        ExpectNoDatagram();
    }

    [Fact]
    public void A_CANCEL_matching_the_SUBSCRIBE_gets_200_and_leaves_the_SUBSCRIBE_and_its_NOTIFY_unaffected()
    {
        StartRouter();
        var subscribe = SipText.SnomM700;
        var exchange = StartExchange(subscribe, ByUnicast(M700Address));
        var cancel = subscribe
            .WithStartLine("CANCEL sip:MAC%3a000413B50A1C@224.0.1.75 SIP/2.0")
            .With("CSeq", "1 CANCEL")
            .Without("Event").Without("Accept").Without("Expires");

        AdvanceTo(0.2);
        Inject(cancel, ByUnicast(M700Address));
        var ok = ExpectResponse(200).Response;
        Assert.Equal(new Sip.Headers.CSeqHeader(1, SipMethods.Cancel), ok.CSeq);
        ExpectNoDatagram(exchange.Dialog);

        // RFC 6665 §4.6: the SUBSCRIBE goes on — its NOTIFY is retransmitted and acknowledged as usual.
        AdvanceTo(0.5);
        Assert.Equal(exchange.Notify.Bytes, ExpectNotify().Bytes);
        Settle(exchange.Dialog);
        Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast(M700Address));
        Assert.Equal(exchange.CallId, ExpectEvent<NotifyAcknowledged>().CallId);
    }

    [Fact]
    public void A_CANCEL_with_the_Call_ID_of_a_running_SUBSCRIBE_but_another_branch_gets_481()
    {
        StartRouter();
        var subscribe = SipText.SnomM700;
        var exchange = StartExchange(subscribe, ByUnicast(M700Address));
        var cancel = subscribe
            .WithStartLine("CANCEL sip:MAC%3a000413B50A1C@224.0.1.75 SIP/2.0")
            .With("Via", "SIP/2.0/UDP 10.0.0.91:5060;branch=z9hG4bK-other;rport")
            .With("CSeq", "1 CANCEL")
            .Without("Event").Without("Accept").Without("Expires");
        Inject(cancel, ByUnicast(M700Address));
        ExpectResponse(481);
        ExpectNoDatagram(exchange.Dialog);
    }

    [Fact]
    public void An_OPTIONS_within_a_running_dialog_gets_200_and_the_NOTIFY_goes_on()
    {
        StartRouter();
        var subscribe = SipText.SnomM700;
        var exchange = StartExchange(subscribe, ByUnicast(M700Address));
        var options = subscribe
            .WithStartLine("OPTIONS sip:10.0.0.1:5060 SIP/2.0")
            .With("Via", "SIP/2.0/UDP 10.0.0.91:5060;branch=z9hG4bK-options1;rport")
            .With("CSeq", "2 OPTIONS")
            .Without("Event").Without("Accept").Without("Expires");
        Inject(options, ByUnicast(M700Address));
        Assert.Contains("ua-profile", ExpectResponse(200).Response.GetList(HeaderNames.AllowEvents));
        AdvanceTo(0.5);
        ExpectNotify();
    }
}
