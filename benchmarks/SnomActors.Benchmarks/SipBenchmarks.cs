using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using SnomActors.Sip.Building;
using SnomActors.Sip.Identity;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Parsing;

namespace SnomActors.Benchmarks;

/// <summary>
/// The SIP work of one PnP exchange, on the captured snom 360 SUBSCRIBE (protocol.md §5.1): the
/// parse (issue 4 target: ≥ 1,000,000/s per core, &lt; 1 KB allocated), the 200, the NOTIFY and the
/// device identity.
/// </summary>
[MemoryDiagnoser]
public class SipBenchmarks
{
    /// <summary>The snom 360 capture (tests/SnomActors.Sip.Tests/TestData/vendors/snom-snom360.sip), 412 octets.</summary>
    public static readonly byte[] SnomSubscribe = Encoding.ASCII.GetBytes(
        "SUBSCRIBE sip:MAC%3a00041329882C@voip.ikt-bs.de SIP/2.0\r\n" +
        "Via: SIP/2.0/UDP 141.41.40.131:2055;rport\r\n" +
        "From: <sip:MAC%3a00041329882C@voip.ikt-bs.de>;tag=1023721533\r\n" +
        "To: <sip:MAC%3a00041329882C@voip.ikt-bs.de>\r\n" +
        "Call-ID: 1936281451@141.41.40.131\r\n" +
        "CSeq: 1 SUBSCRIBE\r\n" +
        "Event: ua-profile;profile-type=\"device\";vendor=\"snom\";model=\"snom360\";version=\"7.3.14\"\r\n" +
        "Expires: 0\r\n" +
        "Accept: application/url\r\n" +
        "Contact: <sip:141.41.40.131:2055>\r\n" +
        "Content-Length: 0\r\n" +
        "\r\n");

    private static readonly IPEndPoint Source = new(IPAddress.Parse("141.41.40.131"), 2055);
    private static readonly SipHeader[] OkHeaders =
    [
        new(HeaderNames.Contact, "<sip:141.41.40.184:5060>"),
        new(HeaderNames.Expires, "0"),
        new(HeaderNames.AllowEvents, "ua-profile"),
    ];
    private static readonly byte[] UrlBody = NotifyBuilder.UrlBody("http://141.41.40.184:8080/settings/00041329882c.xml");

    private SipRequest _subscribe = null!;
    private NotifierDialog _dialog = null!;

    [GlobalSetup]
    public void Setup()
    {
        SipParser.TryParse(SnomSubscribe, out var message, out _);
        _subscribe = (SipRequest)message!;
        _dialog = NotifierDialog.FromSubscribe(_subscribe, Source, "a1b2c3d4e5f60718", "sip:141.41.40.184:5060");
    }

    /// <summary>TryParse alone: validation of every header the core needs, strings decoded lazily.</summary>
    [Benchmark(Baseline = true)]
    public SipMessage? ParseSnomSubscribe()
    {
        SipParser.TryParse(SnomSubscribe, out var message, out _);
        return message;
    }

    /// <summary>Parse plus reading every field the subscription actor uses (what a real exchange costs).</summary>
    [Benchmark]
    public int ParseAndReadPnpFields()
    {
        SipParser.TryParse(SnomSubscribe, out var message, out _);
        var request = (SipRequest)message!;
        return request.CallId.Length + request.From.Tag!.Length + request.To.Raw.Length + (int)request.CSeq.Number
            + request.TopVia.Host.Length + request.Contact!.Uri.Host.Length + request.Event!.Package.Length
            + (int)request.Expires!.Value + request.GetList(HeaderNames.Accept).Count + request.RequestUri.Raw.Length;
    }

    /// <summary>Parse plus DeviceIdentityExtractor.Extract (MAC, vendor, model, version).</summary>
    [Benchmark]
    public DeviceIdentity ParseAndExtractIdentity()
    {
        SipParser.TryParse(SnomSubscribe, out var message, out _);
        return DeviceIdentityExtractor.Extract((SipRequest)message!);
    }

    /// <summary>ServerTransactionKey of the branch-less snom SUBSCRIBE (RFC 2543 fallback).</summary>
    [Benchmark]
    public string TransactionKey() => ServerTransactionKey.For(_subscribe);

    /// <summary>The 200 OK (received/rport on the top Via, our To-tag, Contact, Expires 0).</summary>
    [Benchmark]
    public byte[] Build200() => SipResponseBuilder.Build(_subscribe, Source, 200, "a1b2c3d4e5f60718", extraHeaders: OkHeaders);

    /// <summary>The NOTIFY with the provisioning URL, from an existing dialog.</summary>
    [Benchmark]
    public byte[] BuildNotify() =>
        NotifyBuilder.Build(_dialog, 2, "141.41.40.184:5060", "z9hG4bK0123456789abcdef", NotifyBuilder.TerminatedTimeout,
            NotifyBuilder.ApplicationUrl, UrlBody);

    /// <summary>Dialog state from the SUBSCRIBE plus the NOTIFY (what the actor does once per exchange).</summary>
    [Benchmark]
    public byte[] DialogAndNotify()
    {
        var dialog = NotifierDialog.FromSubscribe(_subscribe, Source, "a1b2c3d4e5f60718", "sip:141.41.40.184:5060");
        return NotifyBuilder.Build(dialog, 2, "141.41.40.184:5060", "z9hG4bK0123456789abcdef", NotifyBuilder.TerminatedTimeout,
            NotifyBuilder.ApplicationUrl, UrlBody);
    }
}
