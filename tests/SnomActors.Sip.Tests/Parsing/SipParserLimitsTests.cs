using System.Text;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Parsing;
using SnomActors.Sip.Tests.Support;

namespace SnomActors.Sip.Tests.Parsing;

public sealed class SipParserLimitsTests
{
    [Fact]
    public void A_datagram_of_exactly_65535_octets_is_accepted()
    {
        var head = Wire.Message(Wire.SubscribeLines(("Content-Length", null)));
        var bytes = new byte[65_535];
        head.CopyTo(bytes, 0);
        bytes.AsSpan(head.Length).Fill((byte)'x');
        var request = Wire.ParseRequest(bytes);
        Assert.Equal(65_535 - head.Length, request.Body.Length);
    }

    [Fact]
    public void A_datagram_larger_than_65535_octets_is_too_large_513()
    {
        var bytes = new byte[65_536];
        Wire.Subscribe().CopyTo(bytes, 0);
        var error = Wire.Fail(bytes);
        Assert.Equal(SipParseErrorKind.TooLarge, error.Kind);
        Assert.Equal(513, error.StatusCode);
    }

    [Fact]
    public void The_datagram_limit_is_configurable()
    {
        var bytes = Wire.Subscribe();
        Assert.Equal(SipParseErrorKind.TooLarge, Wire.Fail(bytes, new SipParserLimits(MaxDatagramBytes: bytes.Length - 1)).Kind);
        Wire.Parse(bytes, new SipParserLimits(MaxDatagramBytes: bytes.Length));
    }

    [Fact]
    public void More_header_rows_than_the_limit_is_too_many_headers()
    {
        var lines = Wire.SubscribeLines().ToList();
        for (var i = 0; i < 200; i++) lines.Insert(1, $"X-Filler-{i}: {i}");
        var error = Wire.Fail(Wire.Message(lines));
        Assert.Equal(SipParseErrorKind.TooManyHeaders, error.Kind);
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public void The_header_count_limit_counts_rows_not_continuation_lines()
    {
        var rows = Wire.SubscribeLines().Length - 1;
        var folded = Wire.Subscribe(("Accept", "Accept: application/url,\r\n text/plain,\r\n message/external-body"));
        Wire.Parse(folded, new SipParserLimits(MaxHeaderCount: rows));
        Assert.Equal(SipParseErrorKind.TooManyHeaders, Wire.Fail(folded, new SipParserLimits(MaxHeaderCount: rows - 1)).Kind);
    }

    [Fact]
    public void A_header_line_longer_than_the_limit_is_line_too_long()
    {
        var error = Wire.Fail(Wire.Subscribe(("Accept", "Accept: " + new string('a', 9000))));
        Assert.Equal(SipParseErrorKind.LineTooLong, error.Kind);
        Assert.Equal(400, error.StatusCode);
    }

    private static readonly System.Net.IPEndPoint Phone = new(System.Net.IPAddress.Parse("192.0.2.10"), 2055);

    /// <summary>The header rows a UAS needs for its answer, as the error carries them.</summary>
    private static string? Row(SipParseError error, string name) =>
        error.Headers.Where(h => ReferenceEquals(h.Name, name)).Select(h => h.Value).FirstOrDefault();

    [Fact]
    public void A_too_large_request_still_yields_its_method_and_the_rows_for_a_513()
    {
        var bytes = Wire.Message(Wire.SubscribeLines(("Content-Length", "Content-Length: 3000")), new string('x', 3000));
        var error = Wire.Fail(bytes, new SipParserLimits(MaxDatagramBytes: 1000));

        Assert.Equal(SipParseErrorKind.TooLarge, error.Kind);
        Assert.Equal("SUBSCRIBE", error.Method);
        Assert.False(error.IsResponse);
        Assert.Equal("SIP/2.0/UDP 192.0.2.10:2055;rport", Row(error, HeaderNames.Via));
        Assert.Equal("<sip:MAC%3a00041329882C@224.0.1.75>;tag=1023721533", Row(error, HeaderNames.From));
        Assert.Equal("<sip:MAC%3a00041329882C@224.0.1.75>", Row(error, HeaderNames.To));
        Assert.Equal("1936281451@192.0.2.10", Row(error, HeaderNames.CallId));
        Assert.Equal("1 SUBSCRIBE", Row(error, HeaderNames.CSeq));
        // Only what the answer needs: the body and other rows are never decoded.
        Assert.Equal(5, error.Headers.Count);

        var reply = Encoding.UTF8.GetString(SnomActors.Sip.Building.SipResponseBuilder.BuildForParseError(error, Phone, "tag1")!);
        Assert.StartsWith("SIP/2.0 513 Message Too Large (message of 3", reply, StringComparison.Ordinal);
        Assert.Contains("Call-ID: 1936281451@192.0.2.10\r\n", reply, StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_with_an_over_long_header_line_still_yields_the_rows_for_a_400_naming_the_fault()
    {
        var error = Wire.Fail(Wire.Subscribe(("Accept", "Accept: " + new string('a', 300)),
            ("Via", "v: SIP/2.0/UDP 192.0.2.10:2055;rport"), ("CSeq", "CSeq: 1\r\n SUBSCRIBE")), new SipParserLimits(MaxLineLength: 200));

        Assert.Equal(SipParseErrorKind.LineTooLong, error.Kind);
        Assert.Equal("SUBSCRIBE", error.Method);
        // Compact name and a folded value are read as the parser would read them.
        Assert.Equal("SIP/2.0/UDP 192.0.2.10:2055;rport", Row(error, HeaderNames.Via));
        Assert.Equal("1 SUBSCRIBE", Row(error, HeaderNames.CSeq));
        var reply = Encoding.UTF8.GetString(SnomActors.Sip.Building.SipResponseBuilder.BuildForParseError(error, Phone, "tag1")!);
        Assert.StartsWith("SIP/2.0 400 Bad Request (a line of 308 octets exceeds 200)\r\n", reply, StringComparison.Ordinal);
    }

    [Fact]
    public void When_the_over_long_line_is_the_Via_or_the_start_line_nothing_can_be_answered()
    {
        var longVia = Wire.Fail(Wire.Subscribe(("Via", "Via: SIP/2.0/UDP 192.0.2.10:2055;x=" + new string('a', 300))), new SipParserLimits(MaxLineLength: 200));
        Assert.Equal(SipParseErrorKind.LineTooLong, longVia.Kind);
        Assert.Null(Row(longVia, HeaderNames.Via));
        Assert.Null(SnomActors.Sip.Building.SipResponseBuilder.BuildForParseError(longVia, Phone, "tag1"));

        var longUri = Wire.Fail(Wire.Subscribe(("SUBSCRIBE", "SUBSCRIBE sip:" + new string('a', 300) + "@x SIP/2.0")), new SipParserLimits(MaxLineLength: 200));
        Assert.Null(longUri.Method);
        Assert.Empty(longUri.Headers);
    }

    [Fact]
    public void A_too_large_response_is_never_answered()
    {
        var bytes = Wire.Message(["SIP/2.0 200 OK", "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx", "CSeq: 2 NOTIFY", "Content-Length: 0"]);
        var error = Wire.Fail(bytes, new SipParserLimits(MaxDatagramBytes: 20));
        Assert.True(error.IsResponse);
        Assert.Null(SnomActors.Sip.Building.SipResponseBuilder.BuildForParseError(error, Phone, "tag1"));
    }

    [Fact]
    public void The_line_limit_does_not_apply_to_the_body()
    {
        var body = new string('b', 20_000);
        var request = Wire.ParseRequest(Wire.Message(Wire.SubscribeLines(("Content-Length", $"Content-Length: {body.Length}")), body));
        Assert.Equal(20_000, request.Body.Length);
    }

    [Fact]
    public void Thousands_of_continuation_lines_parse_in_linear_time()
    {
        var sb = new StringBuilder("Subject: start");
        for (var i = 0; i < 6000; i++) sb.Append("\r\n x");
        var bytes = Wire.Subscribe(("Accept", sb.ToString()));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var request = Wire.ParseRequest(bytes);
        watch.Stop();
        Assert.Equal(6000, request.GetFirst("Subject")!.Count(c => c == 'x'));
        Assert.True(watch.ElapsedMilliseconds < 500, $"took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void A_datagram_without_any_line_break_is_a_missing_empty_line_not_a_crash()
    {
        var error = Wire.Fail(Encoding.ASCII.GetBytes("SUBSCRIBE sip:a@example.com SIP/2.0"));
        Assert.Equal(SipParseErrorKind.MissingEmptyLine, error.Kind);
    }

    [Fact]
    public void Nul_and_other_control_octets_in_the_header_section_never_throw()
    {
        var bytes = Wire.Subscribe(("Accept", "Accept: a\0b\u0007c\u007f"), ("Call-ID", "Call-ID: \u0001\u0002"));
        var ok = SipParser.TryParse(bytes, out var message, out var error);
        Assert.True(ok ? message is not null && error is null : message is null && error is not null);
    }
}
