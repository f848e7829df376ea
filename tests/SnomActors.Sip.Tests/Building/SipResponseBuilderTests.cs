using System.Net;
using System.Text;
using SnomActors.Sip.Building;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Parsing;
using SnomActors.Sip.Tests.Support;

namespace SnomActors.Sip.Tests.Building;

public sealed class SipResponseBuilderTests
{
    private static readonly IPEndPoint SnomSource = new(IPAddress.Parse("141.41.40.131"), 2055);

    private static readonly SipHeader[] OkExtras =
    [
        new(HeaderNames.Contact, "<sip:141.41.40.184:5060>"),
        new(HeaderNames.Expires, "0"),
    ];

    [Fact]
    public void The_200_to_the_captured_snom_360_subscribe_is_exactly_the_recommended_response()
    {
        var subscribe = Wire.ParseRequest(Wire.SnomSubscribe);
        var bytes = SipResponseBuilder.Build(subscribe, SnomSource, 200, "a1b2c3d4e5f60718", extraHeaders: OkExtras);

        Assert.Equal(
            "SIP/2.0 200 OK\r\n" +
            "Via: SIP/2.0/UDP 141.41.40.131:2055;rport=2055;received=141.41.40.131\r\n" +
            "From: <sip:MAC%3a00041329882C@voip.ikt-bs.de>;tag=1023721533\r\n" +
            "To: <sip:MAC%3a00041329882C@voip.ikt-bs.de>;tag=a1b2c3d4e5f60718\r\n" +
            "Call-ID: 1936281451@141.41.40.131\r\n" +
            "CSeq: 1 SUBSCRIBE\r\n" +
            "Contact: <sip:141.41.40.184:5060>\r\n" +
            "Expires: 0\r\n" +
            "Content-Length: 0\r\n\r\n",
            Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void The_200_parses_back_and_matches_the_subscribe_transaction()
    {
        var subscribe = Wire.ParseRequest(Wire.SnomSubscribe);
        var response = Wire.ParseResponse(SipResponseBuilder.Build(subscribe, SnomSource, 200, "ourtag", extraHeaders: OkExtras));

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(subscribe.From.Raw, response.From.Raw);
        Assert.Equal(subscribe.CallId, response.CallId);
        Assert.Equal(subscribe.CSeq, response.CSeq);
        Assert.Equal("ourtag", response.To.Tag);
        Assert.Equal(subscribe.To.Uri.Raw, response.To.Uri.Raw);
        Assert.Equal("141.41.40.131", response.TopVia.Received);
        Assert.Equal("2055", response.TopVia.Parameters["rport"]);
        Assert.Equal(0u, response.Expires);
    }

    [Fact]
    public void The_same_inputs_give_byte_identical_responses_for_retransmissions()
    {
        var first = SipResponseBuilder.Build(Wire.ParseRequest(Wire.SnomSubscribe), SnomSource, 200, "tag1", extraHeaders: OkExtras);
        var again = SipResponseBuilder.Build(Wire.ParseRequest(Wire.SnomSubscribe), SnomSource, 200, "tag1", extraHeaders: OkExtras);
        Assert.Equal(first, again);
    }

    [Fact]
    public void Every_via_is_copied_in_order_and_only_the_top_one_gets_received_and_rport()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(
            ("Via", "Via: SIP/2.0/UDP phone.local:5062;branch=z9hG4bKtop;rport, SIP/2.0/UDP proxy1.example.com;branch=z9hG4bKp1\r\n" +
                    "Via: SIP/2.0/TCP proxy2.example.com:5070;branch=z9hG4bKp2;rport")));
        var source = new IPEndPoint(IPAddress.Parse("192.0.2.50"), 40000);
        var response = Wire.ParseResponse(SipResponseBuilder.Build(request, source, 200, "t"));

        Assert.Equal(
            new[]
            {
                "SIP/2.0/UDP phone.local:5062;branch=z9hG4bKtop;rport=40000;received=192.0.2.50",
                "SIP/2.0/UDP proxy1.example.com;branch=z9hG4bKp1",
                "SIP/2.0/TCP proxy2.example.com:5070;branch=z9hG4bKp2;rport",
            },
            response.Vias.Select(v => v.Raw));
    }

    [Fact]
    public void A_to_that_already_has_a_tag_keeps_it_and_gets_no_second_one()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(("To", "To: <sip:MAC%3a00041329882C@224.0.1.75>;tag=existing")));
        var response = Wire.ParseResponse(SipResponseBuilder.Build(request, SnomSource, 481, "ours"));
        Assert.Equal("existing", response.To.Tag);
        Assert.Equal("Call/Transaction Does Not Exist", response.ReasonPhrase);
        Assert.Equal("<sip:MAC%3a00041329882C@224.0.1.75>;tag=existing", response.To.Raw);
    }

    [Fact]
    public void Record_route_is_copied_on_2xx_only()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(("Accept", "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>")));
        var ok = Wire.ParseResponse(SipResponseBuilder.Build(request, SnomSource, 200, "t"));
        var error = Wire.ParseResponse(SipResponseBuilder.Build(request, SnomSource, 489, "t"));
        Assert.Equal(["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"], ok.GetList(HeaderNames.RecordRoute));
        Assert.Empty(error.GetList(HeaderNames.RecordRoute));
    }

    [Fact]
    public void A_custom_reason_phrase_replaces_the_standard_one()
    {
        var response = Wire.ParseResponse(SipResponseBuilder.Build(Wire.ParseRequest(Wire.SnomSubscribe), SnomSource, 403, "t", "Unknown device"));
        Assert.Equal(403, response.StatusCode);
        Assert.Equal("Unknown device", response.ReasonPhrase);
    }

    [Theory]
    [InlineData(405, "Method Not Allowed")]
    [InlineData(489, "Bad Event")]
    [InlineData(501, "Not Implemented")]
    [InlineData(505, "Version Not Supported")]
    [InlineData(513, "Message Too Large")]
    [InlineData(299, "Unknown")]
    public void Standard_reason_phrases_are_used_by_default(int status, string reason)
    {
        Assert.Equal(reason, SipResponseBuilder.ReasonPhrase(status));
    }

    [Fact]
    public void A_400_for_a_parse_error_names_the_fault_and_copies_the_dialog_headers()
    {
        Assert.False(SipParser.TryParse(Wire.Subscribe(("CSeq", "CSeq: 1 NOTIFY")), out _, out var error));
        var bytes = SipResponseBuilder.BuildForParseError(error!, SnomSource, "t400");
        var response = Wire.ParseResponse(bytes!);

        Assert.Equal(400, response.StatusCode);
        Assert.StartsWith("Bad Request (CSeq method NOTIFY", response.ReasonPhrase, StringComparison.Ordinal);
        Assert.Equal("192.0.2.10", response.TopVia.Host);
        Assert.Equal("2055", response.TopVia.Parameters["rport"]);
        Assert.Equal("t400", response.To.Tag);
        Assert.Equal("1936281451@192.0.2.10", response.CallId);
        Assert.Equal("NOTIFY", response.CSeq.Method);
        Assert.Equal(SnomSource, SipResponseBuilder.DestinationForParseError(error!, SnomSource));
    }

    [Fact]
    public void A_505_answers_a_request_with_another_sip_version()
    {
        Assert.False(SipParser.TryParse(Wire.Subscribe(("SUBSCRIBE", "SUBSCRIBE sip:a@example.com SIP/7.0")), out _, out var error));
        var response = Wire.ParseResponse(SipResponseBuilder.BuildForParseError(error!, SnomSource, "t")!);
        Assert.Equal(505, response.StatusCode);
    }

    [Fact]
    public void A_parse_error_reason_phrase_stays_on_one_printable_line()
    {
        var error = new SipParseError(SipParseErrorKind.InvalidHeaderValue, "bad\r\nInjected: yes\0", SipMethods.Subscribe, false,
            Wire.ParseRequest(Wire.Subscribe()).Headers);
        var text = Encoding.UTF8.GetString(SipResponseBuilder.BuildForParseError(error, SnomSource, "t")!);
        Assert.DoesNotContain("\r\nInjected", text, StringComparison.Ordinal);
        Wire.ParseResponse(Encoding.UTF8.GetBytes(text));
    }

    [Fact]
    public void No_response_is_built_for_a_response_that_failed_to_parse()
    {
        var lines = Wire.SubscribeLines().Skip(1).Prepend("SIP/2.0 999 Nope").ToArray();
        Assert.False(SipParser.TryParse(Wire.Message(lines), out _, out var error));
        Assert.True(error!.IsResponse);
        Assert.Null(SipResponseBuilder.BuildForParseError(error, SnomSource, "t"));
    }

    [Fact]
    public void No_response_is_built_without_a_usable_via()
    {
        Assert.False(SipParser.TryParse(Wire.Subscribe(("Via", null)), out _, out var missing));
        Assert.Null(SipResponseBuilder.BuildForParseError(missing!, SnomSource, "t"));
        Assert.Null(SipResponseBuilder.DestinationForParseError(missing!, SnomSource));

        Assert.False(SipParser.TryParse(Wire.Subscribe(("Via", "Via: garbage")), out _, out var broken));
        Assert.Null(SipResponseBuilder.BuildForParseError(broken!, SnomSource, "t"));
    }

    [Fact]
    public void No_response_is_built_for_an_ack_or_an_unreadable_start_line()
    {
        Assert.False(SipParser.TryParse(Wire.Subscribe(("SUBSCRIBE", "ACK sip:a@example.com SIP/2.0"), ("CSeq", "CSeq: x ACK")), out _, out var ack));
        Assert.Null(SipResponseBuilder.BuildForParseError(ack!, SnomSource, "t"));
        Assert.False(SipParser.TryParse(Wire.Subscribe(("SUBSCRIBE", "garbage")), out _, out var garbage));
        Assert.Null(SipResponseBuilder.BuildForParseError(garbage!, SnomSource, "t"));
    }
}
