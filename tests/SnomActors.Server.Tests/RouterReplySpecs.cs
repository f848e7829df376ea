using System.Text;
using SnomActors.Server.Metrics;
using SnomActors.Server.Tests.Support;
using SnomActors.Sip.Messages;
using Xunit.Abstractions;

namespace SnomActors.Server.Tests;

/// <summary>
/// The router's stateless answers (protocol.md §4.6) to everything that does not start or continue a
/// PnP exchange — on the unicast path; on the multicast path every one of them is silence (§1.4).
/// </summary>
public sealed class RouterReplySpecs : PnpSpec
{
    public RouterReplySpecs(ITestOutputHelper output) : base(output) => StartRouter();

    /// <summary>A datagram we must answer on unicast, and the status it gets.</summary>
    public sealed record Case(Func<byte[]> Datagram, int Status, Action<SipResponse>? Check = null);

    private static SipText Snom => SipText.Snom360;

    /// <summary>A request of another method in the snom 360's shape (no Event, CSeq method matching).</summary>
    private static SipText Method(string method) =>
        Snom.WithStartLine($"{method} sip:MAC%3a00041329882C@voip.ikt-bs.de SIP/2.0")
            .With("CSeq", $"1 {method}")
            .Without("Event")
            .Without("Accept")
            .Without("Expires");

    private static byte[] Raw(string text) => Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n"));

    private static readonly Action<SipResponse> ListsAllow = r =>
    {
        var allow = r.GetList(HeaderNames.Allow);
        Assert.Contains("SUBSCRIBE", allow);
        Assert.Contains("NOTIFY", allow);
        Assert.Contains("OPTIONS", allow);
        Assert.Contains("ACK", allow);
        Assert.Contains("CANCEL", allow);
    };

    private static Action<SipResponse> NamesTheFault(string fault) => r =>
    {
        Assert.StartsWith(SipResponseReason(r.StatusCode) + " (", r.ReasonPhrase);
        Assert.Contains(fault, r.ReasonPhrase, StringComparison.OrdinalIgnoreCase);
    };

    private static string SipResponseReason(int status) => Sip.Building.SipResponseBuilder.ReasonPhrase(status);

    public static readonly IReadOnlyDictionary<string, Case> Answered = new Dictionary<string, Case>
    {
        ["in-dialog SUBSCRIBE for an unknown Call-ID"] = new(() => Snom
            .With("To", "<sip:MAC%3a00041329882C@voip.ikt-bs.de>;tag=gone42").With("Call-ID", "unknown@141.41.40.131").ToBytes(), 481),
        ["in-dialog NOTIFY for an unknown Call-ID"] = new(() => Method("NOTIFY")
            .With("To", "<sip:MAC%3a00041329882C@voip.ikt-bs.de>;tag=gone42").Adding("Event", "ua-profile")
            .Adding("Subscription-State", "terminated").ToBytes(), 481),
        ["INVITE"] = new(() => Method("INVITE").ToBytes(), 405, ListsAllow),
        ["REGISTER"] = new(() => Method("REGISTER").ToBytes(), 405, ListsAllow),
        ["MESSAGE"] = new(() => Method("MESSAGE").ToBytes(), 405, ListsAllow),
        ["out-of-dialog NOTIFY"] = new(() => Method("NOTIFY").Adding("Event", "check-sync").ToBytes(), 405, ListsAllow),
        ["unknown method"] = new(() => Method("FROBNICATE").ToBytes(), 501, ListsAllow),
        ["OPTIONS"] = new(() => Method("OPTIONS").ToBytes(), 200, r =>
        {
            ListsAllow(r);
            Assert.Contains("ua-profile", r.GetList(HeaderNames.AllowEvents));
            Assert.Contains("application/url", r.GetList(HeaderNames.Accept));
        }),
        ["CANCEL matching no transaction"] = new(() => Method("CANCEL").ToBytes(), 481),
        ["SUBSCRIBE for another event package"] = new(() => Snom.With("Event", "presence").ToBytes(), 489,
            r => Assert.Equal("ua-profile", r.GetFirst(HeaderNames.AllowEvents))),
        ["SUBSCRIBE without Event"] = new(() => Snom.Without("Event").ToBytes(), 489,
            r => Assert.Equal("ua-profile", r.GetFirst(HeaderNames.AllowEvents))),
        ["SUBSCRIBE requiring an extension"] = new(() => Snom.Adding("Require", "100rel, foo").ToBytes(), 420,
            r => Assert.Equal(["100rel", "foo"], r.GetList(HeaderNames.Unsupported))),
        ["SUBSCRIBE to a tel: URI"] = new(() => Snom.WithStartLine("SUBSCRIBE tel:+4930398330 SIP/2.0").ToBytes(), 416),
        ["SUBSCRIBE not accepting application/url"] = new(() => Snom.With("Accept", "application/sdp, message/external-body").ToBytes(), 406),
        ["SUBSCRIBE for a profile type we do not offer"] = new(() => Snom
            .With("Event", "ua-profile;profile-type=\"user\";vendor=\"snom\";model=\"snom360\";version=\"7.3.14\"").ToBytes(), 404),
        ["SUBSCRIBE whose CSeq method is INVITE"] = new(() => Snom.With("CSeq", "1 INVITE").ToBytes(), 400, NamesTheFault("CSeq")),
        ["SUBSCRIBE with two Call-IDs"] = new(() => Snom.Adding("Call-ID", "second@141.41.40.131").ToBytes(), 400, NamesTheFault("Call-ID")),
        ["SUBSCRIBE with a body shorter than Content-Length"] = new(() => Snom.With("Content-Length", "40").ToBytes(), 400, NamesTheFault("Content-Length")),
        ["SUBSCRIBE in SIP/3.0"] = new(() => Raw(Snom.ToString().Replace(" SIP/2.0\r\n", " SIP/3.0\r\n", StringComparison.Ordinal)), 505),
    };

    public static TheoryData<string> AnsweredCases => [.. Answered.Keys];

    [Theory]
    [MemberData(nameof(AnsweredCases))]
    public void On_unicast_the_router_answers_with_the_RFC_status(string name)
    {
        var @case = Answered[name];
        Inject(@case.Datagram(), ByUnicast());

        var reply = ExpectResponse(@case.Status);
        var response = reply.Response;
        // Every stateless reply is routed like our 200 (RFC 3581) and carries the request's identity.
        Assert.Equal(Snom360Address, reply.Destination);
        Assert.Equal(ServerAddress, reply.Send.LocalAddress);
        Assert.Equal("141.41.40.131", response.TopVia.Received);
        Assert.Equal("2055", response.TopVia.Parameters["rport"]);
        Assert.NotNull(response.To.Tag);
        Assert.True(response.Body.IsEmpty);
        @case.Check?.Invoke(response);
        ExpectNoDatagram();
        Assert.Equal(0, LiveDialogs().Dialogs);
        ExpectNoEvent();
    }

    [Theory]
    [MemberData(nameof(AnsweredCases))]
    public void On_multicast_the_router_stays_silent_where_it_would_answer_an_error(string name)
    {
        Inject(Answered[name].Datagram(), ByMulticast());
        ExpectNoDatagram();
        Assert.Equal(0, LiveDialogs().Dialogs);
        ExpectNoEvent();
    }

    public static readonly IReadOnlyDictionary<string, Func<byte[]>> NeverAnswered = new Dictionary<string, Func<byte[]>>
    {
        ["ACK matching nothing"] = () => Method("ACK").ToBytes(),
        ["a response matching no transaction"] = () => Raw("""
            SIP/2.0 200 Ok
            Via: SIP/2.0/UDP 141.41.40.184:5060;branch=z9hG4bKstray
            From: <sip:MAC%3a00041329882C@voip.ikt-bs.de>;tag=12344321
            To: <sip:MAC%3a00041329882C@voip.ikt-bs.de>;tag=1023721533
            Call-ID: 1936281451@141.41.40.131
            CSeq: 2 NOTIFY
            Content-Length: 0


            """),
        ["a malformed response"] = () => Raw("""
            SIP/2.0 200 Ok
            Via: SIP/2.0/UDP 141.41.40.184:5060;branch=z9hG4bKstray
            Call-ID: 1936281451@141.41.40.131
            CSeq: 2 NOTIFY
            Content-Length: 0


            """),
        ["a malformed request without Via"] = () => Snom.Without("Via").ToBytes(),
        ["a response with a three-digit status above 699"] = () => Raw("""
            SIP/2.0 999 Big
            Via: SIP/2.0/UDP 141.41.40.184:5060;branch=z9hG4bKstray
            From: <sip:a@b>;tag=1
            To: <sip:a@b>;tag=2
            Call-ID: x@y
            CSeq: 2 NOTIFY
            Content-Length: 0


            """),
        ["a CRLF keep-alive"] = () => "\r\n\r\n"u8.ToArray(),
        ["random bytes"] = () => [0x00, 0xff, 0x10, 0x80, 0x7f, 0x0d, 0x0a],
    };

    public static TheoryData<string> NeverAnsweredCases => [.. NeverAnswered.Keys];

    [Theory]
    [MemberData(nameof(NeverAnsweredCases))]
    public void Some_datagrams_are_never_answered_on_either_path(string name)
    {
        Inject(NeverAnswered[name](), ByUnicast());
        Inject(NeverAnswered[name](), ByMulticast());
        ExpectNoDatagram();
        Assert.Equal(0, LiveDialogs().Dialogs);
    }

    [Fact]
    public void A_SUBSCRIBE_without_Call_ID_gets_a_400_naming_the_missing_header_with_what_could_be_copied()
    {
        Inject(Snom.Without("Call-ID").ToBytes(), ByUnicast());

        // The 400 cannot carry a Call-ID the request did not have, so it does not parse as a full
        // response; read it as text.
        var send = Wire.ExpectMsg<Transport.SipTransport.Send>();
        Assert.Equal(Snom360Address, send.Destination);
        var lines = Encoding.UTF8.GetString(send.Data.Span).Split("\r\n");
        Assert.Equal("SIP/2.0 400 Bad Request (missing Call-ID header)", lines[0]);
        Assert.Contains("Via: SIP/2.0/UDP 141.41.40.131:2055;rport=2055;received=141.41.40.131", lines);
        Assert.Contains("CSeq: 1 SUBSCRIBE", lines);
        Assert.Contains(lines, l => l.StartsWith("To: <sip:MAC%3a00041329882C@voip.ikt-bs.de>;tag=", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("Call-ID", StringComparison.OrdinalIgnoreCase));
        ExpectNoDatagram();
    }

    [Fact]
    public void A_malformed_SUBSCRIBE_is_counted_and_a_valid_one_after_it_is_still_provisioned()
    {
        Inject(Snom.Without("Call-ID").ToBytes(), ByMulticast());
        ExpectNoDatagram();
        Assert.Equal(1, Metrics.Received(ReceivedDatagram.Malformed));

        Inject(Snom, ByMulticast());
        ExpectResponse(200);
        ExpectNotify();
    }
}
