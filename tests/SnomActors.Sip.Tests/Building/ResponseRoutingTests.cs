using System.Net;
using SnomActors.Sip.Building;
using SnomActors.Sip.Headers;
using SnomActors.Sip.Tests.Support;

namespace SnomActors.Sip.Tests.Building;

/// <summary>protocol.md §1.3 / §4.5: RFC 3261 §18.2.2 with RFC 3581.</summary>
public sealed class ResponseRoutingTests
{
    private static readonly IPEndPoint Source = new(IPAddress.Parse("192.0.2.50"), 40000);

    private static ViaHeader Via(string raw)
    {
        Assert.True(ViaHeader.TryParse(raw, out var via, out var error), error);
        return via;
    }

    [Fact]
    public void With_rport_the_response_goes_to_the_source_address_and_port()
    {
        Assert.Equal(Source, ResponseRouting.ResponseDestination(Via("SIP/2.0/UDP 10.0.0.5:5062;rport"), Source));
    }

    [Fact]
    public void With_maddr_the_response_goes_to_maddr_on_the_sent_by_port()
    {
        Assert.Equal(new IPEndPoint(IPAddress.Parse("224.0.1.75"), 5062),
            ResponseRouting.ResponseDestination(Via("SIP/2.0/UDP 10.0.0.5:5062;maddr=224.0.1.75;ttl=1;rport"), Source));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("224.0.1.75"), 5060),
            ResponseRouting.ResponseDestination(Via("SIP/2.0/UDP 10.0.0.5;maddr=224.0.1.75"), Source));
    }

    [Fact]
    public void Without_rport_the_response_goes_to_the_received_address_on_the_sent_by_port()
    {
        Assert.Equal(new IPEndPoint(Source.Address, 5070), ResponseRouting.ResponseDestination(Via("SIP/2.0/UDP phone.local:5070;branch=z9hG4bK1"), Source));
        Assert.Equal(new IPEndPoint(Source.Address, 5060), ResponseRouting.ResponseDestination(Via("SIP/2.0/UDP 192.0.2.50;branch=z9hG4bK1"), Source));
    }

    [Fact]
    public void A_valueless_rport_is_filled_and_received_always_added()
    {
        Assert.Equal("SIP/2.0/UDP 192.0.2.50:5062;rport=40000;branch=z9hG4bK1;received=192.0.2.50",
            ResponseRouting.TopViaForResponse(Via("SIP/2.0/UDP 192.0.2.50:5062;rport;branch=z9hG4bK1"), Source));
    }

    [Fact]
    public void Without_rport_received_is_added_only_when_sent_by_differs_from_the_source()
    {
        Assert.Equal("SIP/2.0/UDP 192.0.2.50;branch=z9hG4bK1",
            ResponseRouting.TopViaForResponse(Via("SIP/2.0/UDP 192.0.2.50;branch=z9hG4bK1"), Source));
        Assert.Equal("SIP/2.0/UDP phone.local;branch=z9hG4bK1;received=192.0.2.50",
            ResponseRouting.TopViaForResponse(Via("SIP/2.0/UDP phone.local;branch=z9hG4bK1"), Source));
        Assert.Equal("SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK1;received=192.0.2.50",
            ResponseRouting.TopViaForResponse(Via("SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK1"), Source));
    }

    [Fact]
    public void An_rport_name_inside_another_parameter_is_not_mistaken_for_the_flag()
    {
        Assert.Equal("SIP/2.0/UDP 192.0.2.50;x-rportish=1;rport=40000;received=192.0.2.50",
            ResponseRouting.TopViaForResponse(Via("SIP/2.0/UDP 192.0.2.50;x-rportish=1;rport"), Source));
    }

    [Fact]
    public void The_notify_goes_to_a_contact_with_an_ip_literal()
    {
        var subscribe = Wire.ParseRequest(File.ReadAllBytes(Wire.TestData("vendors", "yealink-w52p.sip")));
        var source = new IPEndPoint(IPAddress.Parse("10.1.3.239"), 5059);
        var target = ResponseRouting.NotifyTargetFor(subscribe, source);
        Assert.Equal("sip:MAC001565f4f9e1@10.1.3.239:5059", target.RequestUri);
        Assert.Equal(source, target.Destination);
        Assert.False(target.UsedSourceFallback);
        Assert.False(target.DiffersFromSource);
    }

    [Fact]
    public void A_contact_without_a_port_means_5060_and_is_flagged_when_it_differs_from_the_source()
    {
        var subscribe = Wire.ParseRequest(Wire.Subscribe(("Contact", "Contact: <sip:192.0.2.77>")));
        var target = ResponseRouting.NotifyTargetFor(subscribe, Source);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.77"), 5060), target.Destination);
        Assert.Equal("sip:192.0.2.77", target.RequestUri);
        Assert.True(target.DiffersFromSource);
    }

    [Theory]
    [InlineData("Contact: <sip:phone.example.com:5060>")]
    [InlineData("Contact: <tel:+4930123456>")]
    [InlineData(null)]
    public void Without_a_usable_contact_the_notify_falls_back_to_the_packet_source(string? contactLine)
    {
        var subscribe = Wire.ParseRequest(Wire.Subscribe(("Contact", contactLine)));
        var target = ResponseRouting.NotifyTargetFor(subscribe, Source);
        Assert.True(target.UsedSourceFallback);
        Assert.Equal(Source, target.Destination);
        Assert.Equal("sip:192.0.2.50:40000", target.RequestUri);
    }

    [Fact]
    public void An_ipv6_source_fallback_uses_a_bracketed_request_uri()
    {
        var subscribe = Wire.ParseRequest(Wire.Subscribe(("Contact", null)));
        var target = ResponseRouting.NotifyTargetFor(subscribe, new IPEndPoint(IPAddress.Parse("2001:db8::7"), 5060));
        Assert.Equal("sip:[2001:db8::7]:5060", target.RequestUri);
    }
}

public sealed class IpLiteralTests
{
    [Theory]
    [InlineData("141.41.40.131", "141.41.40.131")]
    [InlineData("010.041.040.131", "10.41.40.131")]
    [InlineData("[2001:db8::1]", "2001:db8::1")]
    public void Only_dotted_quads_and_bracketed_ipv6_are_addresses(string host, string expected)
    {
        Assert.True(SnomActors.Sip.Headers.SipSyntax.TryParseIPLiteral(host, out var address));
        Assert.Equal(IPAddress.Parse(expected), address);
    }

    [Theory]
    [InlineData("141.4")]
    [InlineData("0x7f.1")]
    [InlineData("2130706433")]
    [InlineData("1.2.3.256")]
    [InlineData("1.2.3.4.5")]
    [InlineData("2001:db8::1")]
    [InlineData("phone.example.com")]
    public void Short_hex_decimal_and_hostname_forms_are_not_addresses(string host)
    {
        Assert.False(SnomActors.Sip.Headers.SipSyntax.TryParseIPLiteral(host, out _));
    }

    [Fact]
    public void A_contact_host_like_141_4_is_not_taken_for_an_address_so_the_notify_falls_back_to_the_source()
    {
        var subscribe = Wire.ParseRequest(Wire.Subscribe(("Contact", "Contact: <sip:141.4:5060>")));
        Assert.Null(subscribe.Contact!.Uri.HostAddress);
        Assert.True(ResponseRouting.NotifyTargetFor(subscribe, new IPEndPoint(IPAddress.Loopback, 5060)).UsedSourceFallback);
    }

    [Fact]
    public void A_via_maddr_that_is_not_a_host_is_an_invalid_via()
    {
        var error = Wire.Fail(Wire.Subscribe(("Via", "Via: SIP/2.0/UDP 192.0.2.1;maddr=0x7f.1")));
        Assert.Equal(SnomActors.Sip.Parsing.SipParseErrorKind.InvalidHeaderValue, error.Kind);
    }

    [Fact]
    public void The_notify_request_uri_drops_headers_of_the_contact_uri()
    {
        var subscribe = Wire.ParseRequest(Wire.Subscribe(("Contact", "Contact: <sip:141.41.40.131:2055;transport=udp?Subject=pnp>")));
        var target = ResponseRouting.NotifyTargetFor(subscribe, new IPEndPoint(IPAddress.Parse("141.41.40.131"), 2055));
        Assert.Equal("sip:141.41.40.131:2055;transport=udp", target.RequestUri);
    }
}
