using System.Text;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Parsing;

namespace SnomActors.Sip.Tests.Support;

/// <summary>Small helpers to write SIP messages in tests as readable lines.</summary>
internal static class Wire
{
    /// <summary>Joins lines with CRLF and appends the empty line (and the body, if any).</summary>
    public static byte[] Message(IEnumerable<string> headLines, string body = "") =>
        Encoding.UTF8.GetBytes(string.Join("\r\n", headLines) + "\r\n\r\n" + body);

    public static byte[] Message(params string[] headLines) => Message(headLines, "");

    /// <summary>A minimal valid SUBSCRIBE; <paramref name="replace"/> swaps or removes (null) header rows by prefix.</summary>
    public static string[] SubscribeLines(params (string Prefix, string? Line)[] replace)
    {
        var lines = new List<string>
        {
            "SUBSCRIBE sip:MAC%3a00041329882C@224.0.1.75 SIP/2.0",
            "Via: SIP/2.0/UDP 192.0.2.10:2055;rport",
            "From: <sip:MAC%3a00041329882C@224.0.1.75>;tag=1023721533",
            "To: <sip:MAC%3a00041329882C@224.0.1.75>",
            "Call-ID: 1936281451@192.0.2.10",
            "CSeq: 1 SUBSCRIBE",
            "Event: ua-profile;profile-type=\"device\";vendor=\"snom\";model=\"snom360\";version=\"7.3.14\"",
            "Expires: 0",
            "Accept: application/url",
            "Contact: <sip:192.0.2.10:2055>",
            "Content-Length: 0",
        };
        foreach (var (prefix, line) in replace)
        {
            var index = lines.FindIndex(l => l.StartsWith(prefix, StringComparison.Ordinal));
            if (index < 0) { if (line is not null) lines.Add(line); continue; }
            if (line is null) lines.RemoveAt(index); else lines[index] = line;
        }
        return [.. lines];
    }

    public static byte[] Subscribe(params (string Prefix, string? Line)[] replace) => Message(SubscribeLines(replace));

    public static SipMessage Parse(byte[] bytes, SipParserLimits? limits = null)
    {
        var ok = SipParser.TryParse(bytes, out var message, out var error, limits);
        Assert.True(ok, $"expected a parse, got {error}");
        Assert.Null(error);
        return message!;
    }

    public static SipRequest ParseRequest(byte[] bytes) => Assert.IsType<SipRequest>(Parse(bytes));

    public static SipResponse ParseResponse(byte[] bytes) => Assert.IsType<SipResponse>(Parse(bytes));

    public static SipParseError Fail(byte[] bytes, SipParserLimits? limits = null)
    {
        var ok = SipParser.TryParse(bytes, out var message, out var error, limits);
        Assert.False(ok, "expected a parse error");
        Assert.Null(message);
        return error!;
    }

    /// <summary>True when the bytes parse; for building theory data from corpora.</summary>
    public static bool TryParseQuiet(byte[] bytes) => SipParser.TryParse(bytes, out _, out _);

    public static string TestData(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "TestData", .. parts]);

    public static byte[] SnomSubscribe => File.ReadAllBytes(TestData("vendors", "snom-snom360.sip"));
}
