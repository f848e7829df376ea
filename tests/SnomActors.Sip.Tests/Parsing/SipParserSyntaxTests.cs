using System.Text;
using SnomActors.Sip.Headers;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Parsing;
using SnomActors.Sip.Tests.Support;

namespace SnomActors.Sip.Tests.Parsing;

/// <summary>RFC 3261 §7 / §25 syntax as protocol.md §4.1 lists it.</summary>
public sealed class SipParserSyntaxTests
{
    [Fact]
    public void The_captured_snom_360_subscribe_parses_into_typed_headers()
    {
        var request = Wire.ParseRequest(Wire.SnomSubscribe);

        Assert.Same(SipMethods.Subscribe, request.Method);
        Assert.Equal("sip:MAC%3a00041329882C@voip.ikt-bs.de", request.RequestUri.Raw);
        Assert.Equal("MAC%3a00041329882C", request.RequestUri.User);
        Assert.Equal("MAC:00041329882C", request.RequestUri.UnescapedUser);
        Assert.Equal("voip.ikt-bs.de", request.RequestUri.Host);
        var via = Assert.Single(request.Vias);
        Assert.Equal("UDP", via.Transport);
        Assert.Equal("141.41.40.131", via.Host);
        Assert.Equal(2055, via.Port);
        Assert.True(via.HasRPort);
        Assert.Null(via.Branch);
        Assert.False(via.HasRfc3261Branch);
        Assert.Equal("1023721533", request.From.Tag);
        Assert.Null(request.To.Tag);
        Assert.Equal("1936281451@141.41.40.131", request.CallId);
        Assert.Equal(new CSeqHeader(1, "SUBSCRIBE"), request.CSeq);
        Assert.Equal("ua-profile", request.Event!.Package);
        Assert.Equal("device", request.Event.Parameters["profile-type"]);
        Assert.Equal("snom360", request.Event.Parameters["model"]);
        Assert.Equal(0u, request.Expires);
        Assert.Null(request.MaxForwards);
        Assert.Equal("sip:141.41.40.131:2055", request.Contact!.Uri.Raw);
        Assert.Equal("application/url", request.GetFirst("Accept"));
        Assert.True(request.Body.IsEmpty);
        Assert.Equal(10, request.Headers.Count);
    }

    [Fact]
    public void A_folded_header_is_unfolded_to_single_spaces()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(("Accept", "Subject: first\r\n second   \r\n\tthird")));
        Assert.Equal("first second third", request.GetFirst(HeaderNames.Subject));
    }

    [Fact]
    public void A_via_folded_in_the_middle_of_its_protocol_and_parameters_still_parses()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(("Via", "Via  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.10:2055;branch=\r\n z9hG4bKfold;rport")));
        Assert.Equal("192.0.2.10", request.TopVia.Host);
        Assert.Equal(2055, request.TopVia.Port);
        Assert.Equal("z9hG4bKfold", request.TopVia.Branch);
        Assert.True(request.TopVia.HasRPort);
    }

    [Fact]
    public void A_continuation_line_before_any_header_is_a_malformed_header()
    {
        var lines = Wire.SubscribeLines().ToList();
        lines.Insert(1, " orphan continuation");
        var error = Wire.Fail(Wire.Message(lines));
        Assert.Equal(SipParseErrorKind.MalformedHeader, error.Kind);
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public void Compact_and_long_header_names_can_be_mixed_in_one_message()
    {
        var bytes = Wire.Message(
            "SUBSCRIBE sip:MAC%3a00041329882C@224.0.1.75 SIP/2.0",
            "v: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKcompact",
            "f: <sip:a@example.com>;tag=1",
            "t: <sip:b@example.com>",
            "i: compact@192.0.2.10",
            "CSeq: 7 SUBSCRIBE",
            "m: <sip:192.0.2.10>",
            "o: ua-profile",
            "u: ua-profile, dialog",
            "k: path",
            "s: hello",
            "e: gzip",
            "c: text/plain",
            "l: 4",
            "",
            "body");
        var request = Wire.ParseRequest(bytes);

        Assert.Equal(
            new[] { "Via", "From", "To", "Call-ID", "CSeq", "Contact", "Event", "Allow-Events", "Supported", "Subject", "Content-Encoding", "Content-Type", "Content-Length" },
            request.Headers.Select(h => h.Name));
        Assert.Equal("z9hG4bKcompact", request.TopVia.Branch);
        Assert.Equal("compact@192.0.2.10", request.CallId);
        Assert.Equal("ua-profile", request.Event!.Package);
        Assert.Equal(["ua-profile", "dialog"], request.GetList("u"));
        Assert.Equal("gzip", request.GetFirst(HeaderNames.ContentEncoding));
        Assert.Equal("text/plain", request.ContentType);
        Assert.Equal("body", Encoding.ASCII.GetString(request.Body.Span));
    }

    [Theory]
    [InlineData("call-id")]
    [InlineData("CALL-ID")]
    [InlineData("cAlL-iD")]
    [InlineData("I")]
    public void Header_names_are_case_insensitive(string name)
    {
        var request = Wire.ParseRequest(Wire.Subscribe(("Call-ID", $"{name}: case@192.0.2.10")));
        Assert.Equal("case@192.0.2.10", request.CallId);
        Assert.Equal("Call-ID", request.Headers.Single(h => h.Value == "case@192.0.2.10").Name);
        Assert.Equal("case@192.0.2.10", request.GetFirst("CALL-id"));
    }

    [Fact]
    public void Method_names_are_case_sensitive_so_a_lower_case_subscribe_is_an_unknown_method()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(
            ("SUBSCRIBE", "subscribe sip:MAC%3a00041329882C@224.0.1.75 SIP/2.0"), ("CSeq", "CSeq: 1 subscribe")));
        Assert.Equal("subscribe", request.Method);
        Assert.NotEqual(SipMethods.Subscribe, request.Method);
        Assert.False(SipMethods.IsKnown(request.Method));
    }

    [Fact]
    public void A_cseq_method_differing_only_in_case_from_a_known_method_is_a_mismatch()
    {
        var error = Wire.Fail(Wire.Subscribe(("CSeq", "CSeq: 1 subscribe")));
        Assert.Equal(SipParseErrorKind.CSeqMethodMismatch, error.Kind);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal(SipMethods.Subscribe, error.Method);
    }

    [Theory]
    [InlineData("Call-ID:nospace@192.0.2.10")]
    [InlineData("Call-ID :nospace@192.0.2.10")]
    [InlineData("Call-ID   :   nospace@192.0.2.10   ")]
    [InlineData("Call-ID\t:\tnospace@192.0.2.10\t")]
    public void Whitespace_around_the_colon_and_around_the_value_is_ignored(string line)
    {
        var request = Wire.ParseRequest(Wire.Subscribe(("Call-ID", line)));
        Assert.Equal("nospace@192.0.2.10", request.CallId);
    }

    [Fact]
    public void A_header_line_without_a_colon_is_a_malformed_header()
    {
        var error = Wire.Fail(Wire.Subscribe(("Accept", "Accept application/url")));
        Assert.Equal(SipParseErrorKind.MalformedHeader, error.Kind);
    }

    [Fact]
    public void A_header_name_with_a_space_inside_is_a_malformed_header()
    {
        var error = Wire.Fail(Wire.Subscribe(("Accept", "Acc ept: application/url")));
        Assert.Equal(SipParseErrorKind.MalformedHeader, error.Kind);
    }

    [Fact]
    public void Comma_joined_and_repeated_via_rows_flatten_in_order()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(
            ("Via", "Via: SIP/2.0/UDP first.example.com;branch=z9hG4bK1, SIP/2.0/TCP second.example.com:5070;branch=z9hG4bK2"),
            ("From", "Via: SIP/2.0/UDP third.example.com;branch=z9hG4bK3\r\nFrom: <sip:a@example.com>;tag=1")));
        Assert.Equal(["first.example.com", "second.example.com", "third.example.com"], request.Vias.Select(v => v.Host));
        Assert.Equal("TCP", request.Vias[1].Transport);
        Assert.Equal(5070, request.Vias[1].Port);
        Assert.Equal("first.example.com", request.TopVia.Host);
    }

    [Fact]
    public void Comma_joined_contacts_split_outside_quoted_display_names_and_angle_brackets()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(
            ("Contact", "Contact: <sip:a,b@192.0.2.1;x=1>, \"Smith, John\" <sip:b@192.0.2.2>;q=0.5\r\nm: sip:c@192.0.2.3;expires=60")));
        Assert.Equal(3, request.Contacts.Count);
        Assert.Equal("sip:a,b@192.0.2.1;x=1", request.Contacts[0].Uri.Raw);
        Assert.Equal("Smith, John", request.Contacts[1].DisplayName);
        Assert.Equal("0.5", request.Contacts[1].Parameters["q"]);
        Assert.Equal("60", request.Contacts[2].Parameters["expires"]);
        Assert.Null(request.Contacts[2].Uri.Parameters["expires"]);
        Assert.Same(request.Contacts[0], request.Contact);
    }

    [Fact]
    public void Quoted_display_names_keep_escaped_quotes_and_backslashes()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(("From", "From: \"J \\\"Rosie\\\" R \\\\\" <sip:a@example.com>;tag=77")));
        Assert.Equal("J \"Rosie\" R \\", request.From.DisplayName);
        Assert.Equal("77", request.From.Tag);
    }

    [Fact]
    public void An_unquoted_display_name_of_tokens_is_accepted()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(("From", "From: Bob Smith<sip:a@example.com>;tag=77")));
        Assert.Equal("Bob Smith", request.From.DisplayName);
    }

    [Fact]
    public void An_unterminated_quoted_string_is_an_invalid_header_value()
    {
        var error = Wire.Fail(Wire.Subscribe(("To", "To: \"Mr. J. User <sip:j.user@example.com>")));
        Assert.Equal(SipParseErrorKind.InvalidHeaderValue, error.Kind);
        Assert.Contains("To", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unterminated_quoted_parameter_value_is_an_invalid_header_value()
    {
        var error = Wire.Fail(Wire.Subscribe(("Event", "Event: ua-profile;vendor=\"snom")));
        Assert.Equal(SipParseErrorKind.InvalidHeaderValue, error.Kind);
        Assert.Contains("Event", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Uri_parameters_headers_and_percent_escapes_are_broken_out()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(
            ("Contact", "Contact: <sips:MAC%3A0004132A2B3C@[2001:db8::1]:5061;transport=tcp;lr?subject=hi>")));
        var uri = request.Contact!.Uri;
        Assert.Equal("sips", uri.Scheme);
        Assert.Equal("MAC%3A0004132A2B3C", uri.User);
        Assert.Equal("MAC:0004132A2B3C", uri.UnescapedUser);
        Assert.Equal("[2001:db8::1]", uri.Host);
        Assert.Equal(System.Net.IPAddress.Parse("2001:db8::1"), uri.HostAddress);
        Assert.Equal(5061, uri.Port);
        Assert.Equal("tcp", uri.Parameters["transport"]);
        Assert.True(uri.Parameters.Contains("LR"));
        Assert.Equal("subject=hi", uri.Headers);
    }

    [Fact]
    public void Percent_escapes_in_the_user_part_decode_as_utf8_octets()
    {
        Assert.Equal("I have spaces", SipUri.Unescape("I%20have%20spaces"));
        Assert.Equal("€", SipUri.Unescape("%E2%82%AC"));
        Assert.Equal("100%", SipUri.Unescape("100%"));
    }

    [Fact]
    public void A_malformed_percent_escape_in_a_user_part_is_rejected()
    {
        var error = Wire.Fail(Wire.Subscribe(("To", "To: <sip:MAC%3g00041329882C@224.0.1.75>")));
        Assert.Equal(SipParseErrorKind.InvalidHeaderValue, error.Kind);
    }

    [Fact]
    public void Via_exposes_branch_rport_received_maddr_and_ttl()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(
            ("Via", "Via: SIP/2.0/udp 10.0.0.1:5062;branch=z9hG4bKabc;rport=5070;received=192.0.2.99;maddr=224.0.1.75;ttl=1")));
        var via = request.TopVia;
        Assert.Equal("UDP", via.Transport);
        Assert.Equal("z9hG4bKabc", via.Branch);
        Assert.True(via.HasRfc3261Branch);
        Assert.True(via.HasRPort);
        Assert.Equal("5070", via.Parameters["rport"]);
        Assert.Equal("192.0.2.99", via.Received);
        Assert.Equal("224.0.1.75", via.MAddr);
        Assert.Equal("1", via.Ttl);
        Assert.Equal("10.0.0.1:5062", via.SentBy);
    }

    [Theory]
    [InlineData("Via: SIP/2.0/UDP")]
    [InlineData("Via: SIP/2.0 192.0.2.1")]
    [InlineData("Via: SIP/3.0/UDP 192.0.2.1")]
    [InlineData("Via: SIP/2.0/UDP 192.0.2.1:99999")]
    [InlineData("Via: SIP/2.0/UDP 192.0.2.1;;branch=z9hG4bK1")]
    [InlineData("Via: SIP/2.0/UDP 192.0.2.1, ")]
    public void A_malformed_via_is_an_invalid_header_value(string line)
    {
        var error = Wire.Fail(Wire.Subscribe(("Via", line)));
        Assert.Equal(SipParseErrorKind.InvalidHeaderValue, error.Kind);
        Assert.Contains("Via", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Content_length_frames_the_body_in_octets_not_characters()
    {
        const string body = "Grüße € ☃";
        var octets = Encoding.UTF8.GetByteCount(body);
        Assert.NotEqual(body.Length, octets);
        var request = Wire.ParseRequest(Wire.Message(Wire.SubscribeLines(("Content-Length", $"Content-Length: {octets}")), body));
        Assert.Equal(Encoding.UTF8.GetBytes(body), request.Body.ToArray());
    }

    [Fact]
    public void A_content_length_counted_in_characters_cuts_a_multibyte_body_short_instead_of_overrunning()
    {
        const string body = "Grüße";
        var request = Wire.ParseRequest(Wire.Message(Wire.SubscribeLines(("Content-Length", $"Content-Length: {body.Length}")), body));
        Assert.Equal(body.Length, request.Body.Length);
        Assert.Equal(Encoding.UTF8.GetBytes(body).AsSpan(0, body.Length).ToArray(), request.Body.ToArray());
    }

    [Fact]
    public void Octets_after_content_length_are_discarded()
    {
        var request = Wire.ParseRequest(Wire.Message(Wire.SubscribeLines(("Content-Length", "Content-Length: 3")), "abcINVITE sip:x SIP/2.0\r\n\r\n"));
        Assert.Equal("abc"u8.ToArray(), request.Body.ToArray());
    }

    [Fact]
    public void Without_content_length_the_body_runs_to_the_end_of_the_datagram()
    {
        var request = Wire.ParseRequest(Wire.Message(Wire.SubscribeLines(("Content-Length", null)), "to the end\r\n"));
        Assert.Equal("to the end\r\n"u8.ToArray(), request.Body.ToArray());
    }

    [Fact]
    public void A_body_shorter_than_content_length_is_body_truncated()
    {
        var error = Wire.Fail(Wire.Message(Wire.SubscribeLines(("Content-Length", "Content-Length: 9999")), "short"));
        Assert.Equal(SipParseErrorKind.BodyTruncated, error.Kind);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal(SipMethods.Subscribe, error.Method);
    }

    [Theory]
    [InlineData("Content-Length: -999")]
    [InlineData("Content-Length: 99999999999999999999")]
    [InlineData("Content-Length: 1e3")]
    [InlineData("Content-Length: ")]
    [InlineData("Content-Length: 0x10")]
    public void A_negative_non_numeric_or_overflowing_content_length_is_invalid(string line)
    {
        var error = Wire.Fail(Wire.Subscribe(("Content-Length", line)));
        Assert.Equal(SipParseErrorKind.InvalidContentLength, error.Kind);
        Assert.Equal(400, error.StatusCode);
    }

    [Theory]
    [InlineData("CSeq: 4294967296 SUBSCRIBE")]
    [InlineData("CSeq: 36893488147419103232 SUBSCRIBE")]
    [InlineData("CSeq: -1 SUBSCRIBE")]
    [InlineData("CSeq: SUBSCRIBE")]
    [InlineData("CSeq: 1")]
    [InlineData("Max-Forwards: 300")]
    [InlineData("Max-Forwards: 256")]
    [InlineData("Max-Forwards: 99999999999999999999")]
    [InlineData("Expires: 4294967296")]
    [InlineData("Expires: 10000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("Expires: soon")]
    public void Overlarge_or_malformed_scalars_are_rejected_without_overflowing(string line)
    {
        var name = line[..line.IndexOf(':')];
        var error = Wire.Fail(Wire.Subscribe((name, line)));
        Assert.Equal(SipParseErrorKind.InvalidHeaderValue, error.Kind);
        Assert.Contains(name, error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void The_largest_32_bit_cseq_and_expires_and_max_forwards_255_are_accepted()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(
            ("CSeq", "CSeq: 4294967295 SUBSCRIBE"), ("Expires", "Expires: 4294967295"), ("Accept", "Max-Forwards: 255")));
        Assert.Equal(uint.MaxValue, request.CSeq.Number);
        Assert.Equal(uint.MaxValue, request.Expires);
        Assert.Equal(255, request.MaxForwards);
    }

    [Fact]
    public void Leading_zeros_in_scalars_are_accepted()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(("CSeq", "CSeq: 0009 SUBSCRIBE"), ("Accept", "Max-Forwards: 0068")));
        Assert.Equal(9u, request.CSeq.Number);
        Assert.Equal(68, request.MaxForwards);
    }

    [Fact]
    public void Bare_lf_line_ends_are_accepted_leniently()
    {
        var text = string.Join("\n", Wire.SubscribeLines(("Content-Length", "Content-Length: 5"))) + "\n\nhello";
        var request = Wire.ParseRequest(Encoding.ASCII.GetBytes(text));
        Assert.Equal("1936281451@192.0.2.10", request.CallId);
        Assert.Equal("hello"u8.ToArray(), request.Body.ToArray());
    }

    [Fact]
    public void Leading_crlfs_before_the_start_line_are_skipped()
    {
        var request = Wire.ParseRequest([.. "\r\n\r\n"u8.ToArray(), .. Wire.Subscribe()]);
        Assert.Same(SipMethods.Subscribe, request.Method);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\r\n")]
    [InlineData("\r\n\r\n\n")]
    public void A_datagram_of_nothing_but_line_breaks_is_empty(string text)
    {
        var error = Wire.Fail(Encoding.ASCII.GetBytes(text));
        Assert.Equal(SipParseErrorKind.Empty, error.Kind);
    }

    [Fact]
    public void A_message_without_the_empty_line_is_missing_empty_line()
    {
        var bytes = Encoding.ASCII.GetBytes(string.Join("\r\n", Wire.SubscribeLines()) + "\r\n");
        var error = Wire.Fail(bytes);
        Assert.Equal(SipParseErrorKind.MissingEmptyLine, error.Kind);
        Assert.Equal(400, error.StatusCode);
        Assert.Contains(error.Headers, h => h.Name == HeaderNames.Via);
    }

    [Theory]
    [InlineData("Via")]
    [InlineData("From")]
    [InlineData("To")]
    [InlineData("Call-ID")]
    [InlineData("CSeq")]
    public void A_missing_required_header_is_named_in_the_error(string name)
    {
        var error = Wire.Fail(Wire.Subscribe((name + ":", null)));
        Assert.Equal(SipParseErrorKind.MissingHeader, error.Kind);
        Assert.Contains(name, error.Detail, StringComparison.Ordinal);
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public void A_missing_max_forwards_is_accepted_because_snom_pnp_subscribes_have_none()
    {
        Assert.Null(Wire.ParseRequest(Wire.Subscribe()).MaxForwards);
        Assert.Equal(0, Wire.ParseRequest(Wire.Subscribe(("Accept", "Max-Forwards: 0"))).MaxForwards);
    }

    [Theory]
    [InlineData("Call-ID: second@192.0.2.10")]
    [InlineData("i: second@192.0.2.10")]
    [InlineData("From: <sip:x@example.com>;tag=2")]
    [InlineData("To: <sip:y@example.com>")]
    [InlineData("CSeq: 2 SUBSCRIBE")]
    [InlineData("Max-Forwards: 70\r\nMax-Forwards: 69")]
    [InlineData("Content-Length: 0")]
    [InlineData("Content-Type: text/plain\r\nc: text/plain")]
    [InlineData("Expires: 0")]
    [InlineData("o: ua-profile")]
    public void A_duplicated_single_value_header_is_rejected(string extra)
    {
        var lines = Wire.SubscribeLines().ToList();
        lines.Insert(lines.Count - 1, extra);
        var error = Wire.Fail(Wire.Message(lines));
        Assert.Equal(SipParseErrorKind.DuplicateHeader, error.Kind);
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public void Repeated_list_headers_are_not_duplicates()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(("Accept", "Accept: application/url\r\nAccept: message/external-body, text/plain")));
        Assert.Equal(["application/url", "message/external-body", "text/plain"], request.GetList(HeaderNames.Accept));
    }

    [Fact]
    public void A_cseq_method_that_differs_from_the_request_method_is_a_mismatch()
    {
        var error = Wire.Fail(Wire.Subscribe(("CSeq", "CSeq: 1 NOTIFY")));
        Assert.Equal(SipParseErrorKind.CSeqMethodMismatch, error.Kind);
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public void An_unknown_method_with_a_foreign_cseq_method_parses_so_the_uas_can_answer_501()
    {
        // RFC 4475 mismatch02: method inspection (§8.2.1) comes before header inspection.
        var request = Wire.ParseRequest(Wire.Subscribe(
            ("SUBSCRIBE", "NEWMETHOD sip:user@example.com SIP/2.0"), ("CSeq", "CSeq: 1 INVITE")));
        Assert.Equal("NEWMETHOD", request.Method);
        Assert.False(SipMethods.IsKnown(request.Method));
    }

    [Theory]
    [InlineData("SUBSCRIBE sip:a@example.com SIP/7.0")]
    [InlineData("SUBSCRIBE sip:a@example.com SIP/2.1")]
    public void A_request_with_another_sip_version_is_unsupported_version_505(string startLine)
    {
        var error = Wire.Fail(Wire.Subscribe(("SUBSCRIBE", startLine)));
        Assert.Equal(SipParseErrorKind.UnsupportedVersion, error.Kind);
        Assert.Equal(505, error.StatusCode);
        Assert.False(error.IsResponse);
        Assert.Equal(SipMethods.Subscribe, error.Method);
        Assert.NotEmpty(error.Headers);
    }

    [Theory]
    [InlineData("SUBSCRIBE  sip:a@example.com SIP/2.0")]
    [InlineData("SUBSCRIBE sip:a@example.com  SIP/2.0")]
    [InlineData("SUBSCRIBE sip:a@example.com SIP/2.0 ")]
    [InlineData("SUBSCRIBE sip:a@example.com")]
    [InlineData("SUBSCRIBE sip:a@example.com HTTP/1.1")]
    [InlineData(" SUBSCRIBE sip:a@example.com SIP/2.0")]
    [InlineData("SUB(SCRIBE sip:a@example.com SIP/2.0")]
    public void A_request_line_that_is_not_method_sp_uri_sp_version_is_malformed(string startLine)
    {
        var error = Wire.Fail(Wire.Subscribe(("SUBSCRIBE", startLine)));
        Assert.True(error.Kind is SipParseErrorKind.MalformedStartLine or SipParseErrorKind.MalformedHeader, error.ToString());
        Assert.Equal(400, error.StatusCode);
    }

    [Theory]
    [InlineData("<sip:a@example.com>")]
    [InlineData("sip:a@example.com;=lr")]
    [InlineData("sip:user@example.com?Route=%3Csip:example.com%3E")]
    [InlineData("sip:")]
    [InlineData("sip:a@")]
    [InlineData("1sip:a@example.com")]
    public void A_malformed_request_uri_is_invalid_request_uri(string uri)
    {
        var error = Wire.Fail(Wire.Subscribe(("SUBSCRIBE", $"SUBSCRIBE {uri} SIP/2.0")));
        Assert.Equal(SipParseErrorKind.InvalidRequestUri, error.Kind);
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public void A_non_sip_request_uri_parses_so_the_uas_can_answer_416()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(("SUBSCRIBE", "SUBSCRIBE nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0")));
        Assert.False(request.RequestUri.IsSip);
        Assert.Equal("nobodyknowsthisscheme", request.RequestUri.Scheme);
    }

    [Fact]
    public void A_response_status_line_may_have_an_empty_or_utf8_reason_phrase()
    {
        var lines = Wire.SubscribeLines().Skip(1).Prepend("SIP/2.0 100 ").ToArray();
        var empty = Wire.ParseResponse(Wire.Message(lines));
        Assert.Equal(100, empty.StatusCode);
        Assert.Equal("", empty.ReasonPhrase);
        Assert.True(empty.IsProvisional);

        lines[0] = "SIP/2.0 200 = 2**3 * 5**2 но сто девяносто девять - простое";
        var utf8 = Wire.ParseResponse(Wire.Message(lines));
        Assert.Equal("= 2**3 * 5**2 но сто девяносто девять - простое", utf8.ReasonPhrase);
        Assert.True(utf8.IsSuccess);
    }

    [Fact]
    public void A_response_cseq_method_is_not_checked_against_anything()
    {
        var lines = Wire.SubscribeLines(("CSeq", "CSeq: 2 NOTIFY")).Skip(1).Prepend("SIP/2.0 200 Ok").ToArray();
        var response = Wire.ParseResponse(Wire.Message(lines));
        Assert.Equal("NOTIFY", response.CSeq.Method);
        Assert.Equal("Ok", response.ReasonPhrase);
    }

    [Theory]
    [InlineData("SIP/2.0 2000 OK")]
    [InlineData("SIP/2.0 099 Low")]
    [InlineData("SIP/2.0 700 High")]
    [InlineData("SIP/2.0 4294967301 Overflow")]
    [InlineData("SIP/2.0 abc Letters")]
    [InlineData("SIP/2.0  200 Double space")]
    public void A_response_with_a_bad_status_code_is_an_error_flagged_as_a_response(string statusLine)
    {
        var lines = Wire.SubscribeLines().Skip(1).Prepend(statusLine).ToArray();
        var error = Wire.Fail(Wire.Message(lines));
        Assert.Equal(SipParseErrorKind.InvalidStatusCode, error.Kind);
        Assert.True(error.IsResponse);
        Assert.Null(error.Method);
    }

    [Fact]
    public void A_response_with_another_sip_version_is_unsupported_version_and_flagged_as_a_response()
    {
        var lines = Wire.SubscribeLines().Skip(1).Prepend("SIP/3.0 200 OK").ToArray();
        var error = Wire.Fail(Wire.Message(lines));
        Assert.Equal(SipParseErrorKind.UnsupportedVersion, error.Kind);
        Assert.True(error.IsResponse);
    }

    [Fact]
    public void Header_values_are_decoded_as_utf8()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(("From", "From: \"Jürgen Müller ☎\" <sip:jm@example.com>;tag=1")));
        Assert.Equal("Jürgen Müller ☎", request.From.DisplayName);
    }

    [Fact]
    public void Unknown_headers_are_kept_with_their_names_as_received()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(("Accept", "X-Snom-Weird:  some value ;;,,")));
        Assert.Equal("some value ;;,,", request.GetFirst("x-snom-weird"));
        Assert.Contains(request.Headers, h => h is { Name: "X-Snom-Weird", Value: "some value ;;,," });
    }

    [Fact]
    public void Get_first_returns_null_for_an_absent_header_and_get_list_an_empty_list()
    {
        var request = Wire.ParseRequest(Wire.Subscribe());
        Assert.Null(request.GetFirst(HeaderNames.Require));
        Assert.Empty(request.GetList(HeaderNames.RecordRoute));
        Assert.Null(request.UserAgent);
    }

    [Fact]
    public void Parse_errors_carry_the_header_rows_read_so_far_for_a_400()
    {
        var error = Wire.Fail(Wire.Subscribe(("CSeq", "CSeq: x SUBSCRIBE")));
        Assert.Equal(
            new[] { "Via", "From", "To", "Call-ID", "CSeq", "Event", "Expires", "Accept", "Contact", "Content-Length" },
            error.Headers.Select(h => h.Name));
        Assert.Equal("x SUBSCRIBE", error.Headers.Single(h => h.Name == "CSeq").Value);
    }

    [Fact]
    public void A_message_parsed_once_gives_the_same_objects_on_every_access()
    {
        var request = Wire.ParseRequest(Wire.SnomSubscribe);
        Assert.Same(request.Headers, request.Headers);
        Assert.Same(request.From, request.From);
        Assert.Same(request.Vias, request.Vias);
        Assert.Same(request.RequestUri, request.RequestUri);
        Assert.Same(request.CallId, request.CallId);
    }

    [Fact]
    public void Parsed_messages_do_not_depend_on_the_receive_buffer_after_parsing()
    {
        var buffer = Wire.Message(Wire.SubscribeLines(("Content-Length", "Content-Length: 4")), "body");
        Assert.True(SipParser.TryParse(buffer, out var message, out _));
        Array.Fill(buffer, (byte)'X');
        Assert.Equal("1936281451@192.0.2.10", message!.CallId);
        Assert.Equal("body"u8.ToArray(), message.Body.ToArray());
        Assert.Equal("<sip:MAC%3a00041329882C@224.0.1.75>;tag=1023721533", message.From.Raw);
    }
}
