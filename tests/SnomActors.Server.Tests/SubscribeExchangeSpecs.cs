using System.Net;
using System.Text;
using SnomActors.Server.Messages;
using SnomActors.Server.Tests.Support;
using SnomActors.Sip.Headers;
using SnomActors.Sip.Messages;
using Xunit.Abstractions;

namespace SnomActors.Server.Tests;

/// <summary>protocol.md §1.1–§1.3: the 200 and the NOTIFY a PnP SUBSCRIBE produces, field by field.</summary>
public sealed class SubscribeExchangeSpecs : PnpSpec
{
    public SubscribeExchangeSpecs(ITestOutputHelper output) : base(output) => StartRouter();

    [Fact]
    public void The_snom_360_SUBSCRIBE_gets_a_200_with_our_To_tag_Contact_and_Expires_0_sent_per_rport()
    {
        var subscribe = SipText.Snom360;
        Inject(subscribe, ByMulticast());

        var ok = ExpectResponse(200);
        var response = ok.Response;
        // RFC 3581 §4: the response goes to the source address and port.
        Assert.Equal(Snom360Address, ok.Destination);
        Assert.Equal(ServerAddress, ok.Send.LocalAddress);
        Assert.Equal("OK", response.ReasonPhrase);
        // RFC 3261 §8.2.6.2: every Via, the top one with received and the rport value filled in.
        var via = Assert.Single(response.Vias);
        Assert.Equal("141.41.40.131", via.Received);
        Assert.Equal("2055", via.Parameters["rport"]);
        Assert.Equal("141.41.40.131:2055", via.SentBy);
        Assert.Equal(subscribe.Header("From"), response.From.Raw);
        Assert.Equal("1936281451@141.41.40.131", response.CallId);
        Assert.Equal(new CSeqHeader(1, SipMethods.Subscribe), response.CSeq);
        // Our To-tag: the request's To plus at least 32 random bits (RFC 3261 §19.3).
        Assert.Equal("sip:MAC%3a00041329882C@voip.ikt-bs.de", response.To.Uri.Raw);
        Assert.NotNull(response.To.Tag);
        Assert.True(response.To.Tag!.Length >= 8, $"To-tag '{response.To.Tag}' is shorter than 32 bits of hex");
        Assert.Equal("sip:141.41.40.184:5060", response.Contact!.Uri.Raw);
        Assert.Equal(0u, response.Expires);
        Assert.Equal("ua-profile", response.GetFirst(HeaderNames.AllowEvents));
        Assert.Equal("0", response.GetFirst(HeaderNames.ContentLength));
        Assert.True(response.Body.IsEmpty);
    }

    [Fact]
    public void The_snom_360_then_gets_the_NOTIFY_with_its_provisioning_URL_on_the_dialog_the_200_created()
    {
        var subscribe = SipText.Snom360;
        Inject(subscribe, ByMulticast());

        var ok = ExpectResponse(200).Response;
        var outbound = ExpectNotify();
        var notify = outbound.Request;
        // protocol.md §1.3: to the Contact (sip:141.41.40.131:2055), which is also the Request-URI.
        Assert.Equal(new IPEndPoint(IPAddress.Parse("141.41.40.131"), 2055), outbound.Destination);
        Assert.Equal(ServerAddress, outbound.Send.LocalAddress);
        Assert.Equal("sip:141.41.40.131:2055", notify.RequestUri.Raw);
        // A fresh RFC 3261 branch from our own sent-by, never the phone's Via.
        var via = Assert.Single(notify.Vias);
        Assert.True(via.HasRfc3261Branch, via.Raw);
        Assert.Equal("141.41.40.184:5060", via.SentBy);
        Assert.True(via.HasRPort);
        Assert.Equal(70, notify.MaxForwards);
        // RFC 3261 §12.1.1: tags swapped, our tag the one of the 200.
        Assert.Equal("sip:MAC%3a00041329882C@voip.ikt-bs.de", notify.From.Uri.Raw);
        Assert.Equal(ok.To.Tag, notify.From.Tag);
        Assert.Equal(subscribe.Header("From"), notify.To.Raw);
        Assert.Equal("1023721533", notify.To.Tag);
        Assert.Equal("1936281451@141.41.40.131", notify.CallId);
        Assert.Equal(SipMethods.Notify, notify.CSeq.Method);
        Assert.Equal("sip:141.41.40.184:5060", notify.Contact!.Uri.Raw);
        // RFC 6665 §4.2.2 / RFC 6080: one-time fetch, URL body.
        Assert.Equal("ua-profile", notify.Event!.Raw);
        Assert.Equal("terminated;reason=timeout", notify.GetFirst(HeaderNames.SubscriptionState));
        Assert.Equal("application/url", notify.ContentType);
        Assert.Equal(DefaultUrlFor("00041329882c"), Encoding.UTF8.GetString(notify.Body.Span));
        Assert.Equal(notify.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            notify.GetFirst(HeaderNames.ContentLength));
    }

    [Fact]
    public void The_200_is_sent_before_the_NOTIFY_and_the_events_follow_the_same_order()
    {
        Inject(SipText.Snom360, ByMulticast());

        // The wire probe sees datagrams in the order they were handed to the transport.
        var first = ExpectDatagram();
        var second = ExpectDatagram();
        Assert.IsType<SipResponse>(first.Message);
        Assert.Equal(SipMethods.Notify, second.Request.Method);

        var seen = ExpectEvent<SubscribeSeen>();
        Assert.Equal("00041329882c", seen.Device.Mac);
        Assert.Equal("snom", seen.Device.Vendor);
        Assert.Equal("snom360", seen.Device.Model);
        Assert.Equal(Snom360Address, seen.Source);
        Assert.True(seen.ViaMulticast);
        ExpectEvent<SubscribeAnswered>();
        var sent = ExpectEvent<NotifySent>();
        Assert.Equal(DefaultUrlFor("00041329882c"), sent.Url);
        Assert.Equal(Snom360Address, sent.Target);
        ExpectNoDatagram(DialogFor("1936281451@141.41.40.131"));
    }

    [Fact]
    public void A_SUBSCRIBE_from_behind_a_NAT_gets_its_200_and_its_NOTIFY_at_the_source_address_and_port()
    {
        var nat = new IPEndPoint(IPAddress.Parse("192.0.2.10"), 40000);
        Inject(SipText.Snom360, ByUnicast(nat));

        var ok = ExpectResponse(200);
        Assert.Equal(nat, ok.Destination);
        Assert.Equal("192.0.2.10", ok.Response.TopVia.Received);
        Assert.Equal("40000", ok.Response.TopVia.Parameters["rport"]);
        // The Contact names another host: the NOTIFY still goes only to the host that asked (no
        // reflection, RFC 6665 §6), with the Contact as its Request-URI (the dialog's remote target).
        var notify = ExpectNotify();
        Assert.Equal(nat, notify.Destination);
        Assert.Equal("sip:141.41.40.131:2055", notify.Request.RequestUri.Raw);
    }

    [Fact]
    public void A_Contact_on_the_source_host_but_another_port_receives_the_NOTIFY_at_that_port()
    {
        var subscribe = SipText.Snom360.With("Contact", "<sip:141.41.40.131:5062>");
        Inject(subscribe, ByMulticast());

        Assert.Equal(Snom360Address, ExpectResponse(200).Destination);
        var notify = ExpectNotify();
        Assert.Equal(new IPEndPoint(IPAddress.Parse("141.41.40.131"), 5062), notify.Destination);
        Assert.Equal("sip:141.41.40.131:5062", notify.Request.RequestUri.Raw);
    }

    [Fact]
    public void A_SUBSCRIBE_without_Contact_gets_its_NOTIFY_at_the_packet_source()
    {
        Inject(SipText.Snom360.Without("Contact"), ByMulticast());

        ExpectResponse(200);
        var notify = ExpectNotify();
        Assert.Equal(Snom360Address, notify.Destination);
        Assert.Equal("sip:141.41.40.131:2055", notify.Request.RequestUri.Raw);
    }

    [Fact]
    public void A_SUBSCRIBE_without_rport_gets_its_200_at_the_Via_port_and_received_only_when_the_address_differs()
    {
        // Yealink W52P: no rport; sent-by 10.1.3.239:5059.
        var phone = new IPEndPoint(IPAddress.Parse("10.1.3.239"), 5059);
        Inject(SipText.YealinkW52P, ByMulticast(phone));
        var ok = ExpectResponse(200);
        Assert.Equal(phone, ok.Destination);
        Assert.Null(ok.Response.TopVia.Received);
        Assert.False(ok.Response.TopVia.HasRPort);
        Assert.Equal("z9hG4bK1536537630", ok.Response.TopVia.Branch);
        var notify = ExpectNotify();
        Assert.Equal("sip:MAC001565f4f9e1@10.1.3.239:5059", notify.Request.RequestUri.Raw);
        Assert.Equal(phone, notify.Destination);
        Assert.NotEqual(ok.Response.TopVia.Branch, notify.Request.TopVia.Branch);
    }

    [Fact]
    public void Every_Via_of_the_SUBSCRIBE_comes_back_in_order_with_only_the_top_one_completed()
    {
        var relay = new IPEndPoint(IPAddress.Parse("10.0.0.5"), 5060);
        var subscribe = SipText.SnomM700.AddingFirst("Via", "SIP/2.0/UDP 10.0.0.5;branch=z9hG4bKrelay1;rport");
        Inject(subscribe, ByUnicast(relay));

        var ok = ExpectResponse(200).Response;
        Assert.Equal(2, ok.Vias.Count);
        Assert.Equal("SIP/2.0/UDP 10.0.0.5;branch=z9hG4bKrelay1;rport=5060;received=10.0.0.5", ok.Vias[0].Raw);
        Assert.Equal("SIP/2.0/UDP 10.0.0.91:5060;branch=z9hG4bK-8tmmvoe4q2fd;rport", ok.Vias[1].Raw);
    }

    [Fact]
    public void A_SUBSCRIBE_asking_for_a_long_subscription_is_still_answered_with_Expires_0()
    {
        Inject(SipText.SnomM700.With("Expires", "3600"), ByMulticast(new IPEndPoint(IPAddress.Parse("10.0.0.91"), 5060)));
        Assert.Equal(0u, ExpectResponse(200).Response.Expires);
        Assert.Equal("terminated;reason=timeout", ExpectNotify().Request.GetFirst(HeaderNames.SubscriptionState));
    }
}
