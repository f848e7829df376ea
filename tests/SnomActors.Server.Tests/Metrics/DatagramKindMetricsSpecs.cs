using System.Net;
using Akka.Actor;
using SnomActors.Server.Actors;
using SnomActors.Server.Messages;
using SnomActors.Server.Metrics;
using SnomActors.Server.Tests.Support;
using Xunit.Abstractions;

namespace SnomActors.Server.Tests.Metrics;

/// <summary>
/// Issue 6: datagrams in and out by kind. The real router, dialogs and check-sync transactions
/// count what they receive and send; each test reads the counters after the actors have settled.
/// </summary>
public sealed class DatagramKindMetricsSpecs : PnpSpec
{
    public DatagramKindMetricsSpecs(ITestOutputHelper output) : base(output) => StartRouter();

    private static SipText Method(string method) =>
        SipText.Snom360.WithStartLine($"{method} sip:MAC%3a00041329882C@voip.ikt-bs.de SIP/2.0")
            .With("CSeq", $"1 {method}")
            .With("Call-ID", $"{method.ToLowerInvariant()}-probe@141.41.40.131")
            .Without("Event")
            .Without("Accept")
            .Without("Expires");

    private (long[] In, long[] Out) Counts() =>
        ([.. Enum.GetValues<ReceivedDatagram>().Select(Metrics.Received)],
         [.. Enum.GetValues<SentDatagram>().Select(Metrics.Sent)]);

    private void AssertCounts(long[] received, long[] sent)
    {
        // Dialogs count right after handing a datagram to the transport: wait for the counters, not the wire.
        AwaitAssert(() =>
        {
            var (actualIn, actualOut) = Counts();
            Assert.Equal(received, actualIn);
            Assert.Equal(sent, actualOut);
        }, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void A_SUBSCRIBE_moves_subscribe_in_and_its_200_and_NOTIFY_move_response_and_notify_out()
    {
        var exchange = StartExchange(SipText.Snom360);

        //                 subscribe notify options other response malformed      response notify check-sync
        AssertCounts(received: [1, 0, 0, 0, 0, 0], sent: [1, 1, 0]);

        Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast());
        ExpectEvent<NotifyAcknowledged>();
        Settle(exchange.Dialog);
        AssertCounts(received: [1, 0, 0, 0, 1, 0], sent: [1, 1, 0]);
    }

    [Fact]
    public void A_retransmitted_SUBSCRIBE_and_a_NOTIFY_retransmitted_on_Timer_E_count_again_under_their_kinds()
    {
        var exchange = StartExchange(SipText.Snom360);

        Inject(SipText.Snom360, ByMulticast());
        ExpectResponse(200);
        AdvanceTo(0.5); // RFC 3261 §17.1.2.2: Timer E fires first at T1
        ExpectNotify();
        Settle(exchange.Dialog);

        AssertCounts(received: [2, 0, 0, 0, 0, 0], sent: [2, 2, 0]);
        Assert.Equal(1, Metrics.NotifyRetransmissions);
    }

    [Fact]
    public void A_check_sync_NOTIFY_counts_as_check_sync_notify_and_not_as_a_ua_profile_NOTIFY()
    {
        var outcomes = CreateTestProbe();
        var phone = new IPEndPoint(IPAddress.Parse("10.0.0.91"), 5060);
        Router.Tell(new DialogRouter.SendCheckSync("000413b50a1c", phone, false, outcomes.Ref));
        var checkSync = ExpectNotify().Request;
        AssertCounts(received: [0, 0, 0, 0, 0, 0], sent: [0, 0, 1]);

        Inject(PhoneAnswer(checkSync, 200), ByUnicast(phone));
        Assert.Equal(200, outcomes.ExpectMsg<CheckSyncTransaction.Outcome>().StatusCode);
        AssertCounts(received: [0, 0, 0, 0, 1, 0], sent: [0, 0, 1]);
    }

    [Fact]
    public void OPTIONS_other_methods_and_garbage_are_told_apart_and_their_answers_count_as_responses()
    {
        Inject(Method("OPTIONS"), ByUnicast());
        ExpectResponse(200);
        Inject(Method("INVITE"), ByUnicast());
        ExpectResponse(405);
        Inject(Method("NOTIFY").Adding("Event", "check-sync"), ByUnicast());
        ExpectResponse(405);
        Inject("\r\n\r\n"u8.ToArray(), ByUnicast());
        Inject(SipText.Snom360.Without("Call-ID").ToBytes(), ByUnicast());
        Wire.ExpectMsg<Transport.SipTransport.Send>(); // the 400 naming the missing Call-ID (no Call-ID: not a full response)
        ExpectNoDatagram();

        AssertCounts(received: [0, 1, 1, 1, 0, 2], sent: [4, 0, 0]);
    }
}
