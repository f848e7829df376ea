using System.Text;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Tests.Corpus;
using SnomActors.Sip.Tests.Support;

namespace SnomActors.Sip.Tests.Parsing;

/// <summary>parse → ToBytes → parse keeps start line, header rows and body.</summary>
public sealed class SipRoundTripTests
{
    public static TheoryData<string, byte[]> Messages()
    {
        var data = new TheoryData<string, byte[]>();
        foreach (var sample in VendorSamples.Load()) data.Add(sample.File, sample.Bytes);
        foreach (var m in Rfc4475Corpus.Load())
            if (Support.Wire.TryParseQuiet(m.Bytes)) data.Add(m.Name + ".dat", m.Bytes);
        foreach (var file in Directory.EnumerateFiles(Support.Wire.TestData("vendors", "exchanges"), "*.sip").Order())
            data.Add(Path.GetFileName(file), File.ReadAllBytes(file));
        data.Add("compact forms", Support.Wire.Message(
            "SUBSCRIBE sip:x@192.0.2.1 SIP/2.0", "v: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKa", "f: <sip:a@b>;tag=1", "t: <sip:x@192.0.2.1>",
            "i: rt@192.0.2.2", "CSeq: 3 SUBSCRIBE", "o: ua-profile", "l: 0"));
        data.Add("folded and utf8 body", Support.Wire.Message(Support.Wire.SubscribeLines(
            ("Accept", "Subject: a\r\n  b"), ("Content-Length", $"Content-Length: {Encoding.UTF8.GetByteCount("☃ snow")}")), "☃ snow"));
        data.Add("no content-length", Support.Wire.Message(Support.Wire.SubscribeLines(("Content-Length", null)), "xyz"));
        data.Add("empty reason", Support.Wire.Message(Support.Wire.SubscribeLines().Skip(1).Prepend("SIP/2.0 100 ")));
        return data;
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Serialising_and_reparsing_gives_the_same_start_line_headers_and_body(string name, byte[] bytes)
    {
        var first = Support.Wire.Parse(bytes);
        var serialised = first.ToBytes();
        var second = Support.Wire.Parse(serialised);

        Assert.Equal(StartLine(first), StartLine(second));
        Assert.Equal(
            first.Headers.Where(h => h.Name != HeaderNames.ContentLength),
            second.Headers.Where(h => h.Name != HeaderNames.ContentLength));
        Assert.Equal(first.Body.ToArray(), second.Body.ToArray());
        Assert.Equal(first.Vias.Select(v => v.Raw), second.Vias.Select(v => v.Raw));
        Assert.Equal(first.CSeq, second.CSeq);
        Assert.Equal(first.CallId, second.CallId);
        // A second round trip is a fixed point.
        Assert.Equal(serialised, second.ToBytes());
        Assert.NotEmpty(name);
    }

    [Fact]
    public void Serialising_writes_long_names_crlf_and_the_real_content_length()
    {
        var request = Support.Wire.Parse(Support.Wire.Message(
            "SUBSCRIBE sip:x@192.0.2.1 SIP/2.0", "v: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKa", "f: <sip:a@b>;tag=1", "t: <sip:x@192.0.2.1>",
            "i: rt@192.0.2.2", "CSeq: 3 SUBSCRIBE", "l: 2", "", "abEXTRA"));
        var text = Encoding.UTF8.GetString(request.ToBytes());
        Assert.Equal(
            "SUBSCRIBE sip:x@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKa\r\nFrom: <sip:a@b>;tag=1\r\n" +
            "To: <sip:x@192.0.2.1>\r\nCall-ID: rt@192.0.2.2\r\nCSeq: 3 SUBSCRIBE\r\nContent-Length: 2\r\n\r\nab", text);
        Assert.Equal(text, request.ToString());
    }

    private static string StartLine(SipMessage m) => m switch
    {
        SipRequest r => $"{r.Method} {r.RequestUri.Raw}",
        SipResponse r => $"{r.StatusCode} {r.ReasonPhrase}",
        _ => throw new InvalidOperationException(),
    };
}
