using System.Text;
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
