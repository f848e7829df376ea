using SnomActors.Server.Metrics;
using SnomActors.Server.Tests.Support;
using SnomActors.Sip.Parsing;
using Xunit.Abstractions;

namespace SnomActors.Server.Tests;

/// <summary>
/// The router's parser limits (<c>Sip:MaxDatagramBytes</c>, <c>Sip:MaxLineLength</c>): a unicast
/// request beyond them is answered — 513 for its size, 400 naming an over-long line (RFC 3261 §8.2,
/// §21) — and a multicast one is dropped in silence (protocol.md §1.4).
/// </summary>
public sealed class RouterParserLimitSpecs : PnpSpec
{
    private static readonly SipText Snom = SipText.Snom360;

    public RouterParserLimitSpecs(ITestOutputHelper output) : base(output)
    {
    }

    private void StartRouterWithLimits(SipParserLimits limits) => StartRouter(DefaultOptions with { ParserLimits = limits });

    [Fact]
    public void A_unicast_SUBSCRIBE_over_the_datagram_limit_gets_513_routed_like_any_response()
    {
        var subscribe = Snom.ToBytes();
        StartRouterWithLimits(new SipParserLimits(MaxDatagramBytes: subscribe.Length - 1));

        Inject(subscribe, ByUnicast());

        var reply = ExpectResponse(513);
        Assert.Equal($"Message Too Large (message of {subscribe.Length} octets exceeds {subscribe.Length - 1})", reply.Response.ReasonPhrase);
        Assert.Equal(Snom360Address, reply.Destination);
        Assert.Equal(ServerAddress, reply.Send.LocalAddress);
        Assert.Equal("141.41.40.131", reply.Response.TopVia.Received);
        Assert.Equal((1u, "SUBSCRIBE"), (reply.Response.CSeq.Number, reply.Response.CSeq.Method));
        Assert.NotNull(reply.Response.To.Tag);
        ExpectNoDatagram();
        ExpectNoEvent();
        Assert.Equal(0, LiveDialogs().Dialogs);
        Assert.Equal(1, Metrics.Received(ReceivedDatagram.Malformed));
    }

    [Fact]
    public void A_multicast_SUBSCRIBE_over_the_datagram_limit_is_dropped_in_silence()
    {
        var subscribe = Snom.ToBytes();
        StartRouterWithLimits(new SipParserLimits(MaxDatagramBytes: subscribe.Length - 1));

        Inject(subscribe, ByMulticast());

        ExpectNoDatagram();
        ExpectNoEvent();
        Assert.Equal(0, LiveDialogs().Dialogs);
        Assert.Equal(1, Metrics.Received(ReceivedDatagram.Malformed));
    }

    [Fact]
    public void A_unicast_SUBSCRIBE_with_a_line_over_the_limit_gets_400_naming_it_and_multicast_gets_silence()
    {
        StartRouterWithLimits(new SipParserLimits(MaxLineLength: 200));
        var accept = "application/url, " + new string('a', 200);
        var subscribe = Snom.With("Accept", accept).ToBytes();

        Inject(subscribe, ByMulticast());
        ExpectNoDatagram();

        Inject(subscribe, ByUnicast());
        var reply = ExpectResponse(400);
        Assert.Equal($"Bad Request (a line of {"Accept: ".Length + accept.Length} octets exceeds 200)", reply.Response.ReasonPhrase);
        Assert.Equal(Snom360Address, reply.Destination);
        ExpectNoDatagram();
        ExpectNoEvent();
    }

    [Fact]
    public void Within_the_limits_the_same_SUBSCRIBE_is_provisioned()
    {
        var subscribe = Snom.ToBytes();
        StartRouterWithLimits(new SipParserLimits(MaxDatagramBytes: subscribe.Length, MaxLineLength: 200));

        Inject(subscribe, ByUnicast());
        ExpectResponse(200);
        ExpectNotify();
    }
}
