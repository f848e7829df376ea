using System.Net;
using SnomActors.Server.Metrics;
using SnomActors.Server.Overload;
using SnomActors.Server.Tests.Support;
using SnomActors.Sip.Messages;
using Xunit.Abstractions;

namespace SnomActors.Server.Tests.Overload;

/// <summary>
/// NOTIFY pacing (issue 5 item 2): 200s go to the socket at once, NOTIFYs beyond the pacer's tokens
/// wait in a bounded FIFO queue and leave as tokens come back; a full queue drops the NOTIFY (Timer E
/// resends it) and makes the router refuse new SUBSCRIBEs until the queue has drained to half.
/// All in virtual time.
/// </summary>
public sealed class NotifyPacingSpecs(ITestOutputHelper output) : PnpSpec(output)
{
    private static readonly IPEndPoint Phone = new(IPAddress.Parse("10.0.0.95"), 5060);

    [Fact]
    public void Beyond_the_burst_every_200_leaves_at_once_and_the_NOTIFYs_follow_at_the_paced_rate()
    {
        // 100/s = one NOTIFY per 10 ms release tick.
        StartRouter(DefaultOptions with { NotifyPacing = new NotifyPacingOptions(PerSecond: 100, Burst: 2, QueueLimit: 10) });
        foreach (var id in new[] { "p1", "p2", "p3", "p4" }) Inject(Snom(id), ByUnicast(Phone));
        Settle();

        var first = TakeWire(6);
        Assert.Equal(4, first.Count(o => o.Message is SipResponse { StatusCode: 200 }));
        Assert.Equal(2, first.Count(IsNotify));
        ExpectNoDatagram();
        // Handed over by the dialogs on their own, so waited for rather than read once.
        AwaitCondition(() => Metrics.NotifyQueue == 2, TimeSpan.FromSeconds(5));

        AdvanceTo(0.010);
        Settle();
        Assert.True(IsNotify(ExpectDatagram()));
        ExpectNoDatagram();
        AdvanceTo(0.020);
        Settle();
        Assert.True(IsNotify(ExpectDatagram()));
        ExpectNoDatagram();
        Assert.Equal(0, Metrics.NotifyQueue);
        // Four different dialogs: four different NOTIFYs reached the wire, none twice.
        Assert.Equal(4, Metrics.Sent(SentDatagram.Notify));
    }

    [Fact]
    public void A_full_queue_drops_the_NOTIFY_and_new_SUBSCRIBEs_are_shed_until_it_has_drained_to_half()
    {
        StartRouter(DefaultOptions with { RetryAfterSeconds = 3, NotifyPacing = new NotifyPacingOptions(PerSecond: 100, Burst: 1, QueueLimit: 2) });
        foreach (var id in new[] { "q1", "q2", "q3" }) Inject(Snom(id), ByUnicast(Phone));
        Settle();
        var sent = TakeWire(4);
        Answer(Assert.Single(sent, IsNotify));
        // The dialogs hand their NOTIFYs to the pacer on their own: wait until the two that did not
        // get the token are queued (otherwise q4's may overtake one of them and take its place).
        AwaitCondition(() => Metrics.NotifyQueue == 2, TimeSpan.FromSeconds(5));

        // The fourth dialog starts (the queue was not yet refused), its NOTIFY finds the queue full.
        Inject(Snom("q4"), ByUnicast(Phone));
        Settle();
        ExpectResponse(200);
        ExpectNoDatagram();
        Assert.Equal(1, Metrics.Shed["notify-queue-full"]);

        Inject(Snom("q5"), ByUnicast(Phone));
        var busy = ExpectResponse(503);
        Assert.Equal("3", busy.Response.GetFirst(HeaderNames.RetryAfter));
        Inject(Snom("q6"), ByMulticast(Phone));
        ExpectNoDatagram();
        Assert.Equal(2, Metrics.Shed["notify-queue"]);

        // One release tick sends one NOTIFY: one waits, which is half the limit — the router accepts again.
        AdvanceTo(0.010);
        Settle();
        Answer(ExpectNotify());
        Settle();
        Inject(Snom("q7"), ByUnicast(Phone));
        Settle();
        Assert.Equal(200, ExpectDatagram().Response.StatusCode);
        Assert.Equal(2, Metrics.Shed["notify-queue"]);

        // The dropped NOTIFY was a lost datagram to its dialog: Timer E (T1) sends it again. The phones
        // acknowledge each NOTIFY as it arrives.
        var callIds = new List<string>();
        for (var ms = 20; ms <= 600; ms += 10)
        {
            AdvanceTo(ms / 1000.0);
            Settle();
            foreach (var notify in DatagramsOnWire())
            {
                Assert.True(IsNotify(notify));
                callIds.Add(notify.Request.CallId);
                Answer(notify);
            }
        }
        // The last of q1-q3 still queued, q7's, then q4's by Timer E at 0.5 s: each once, nothing else.
        Assert.Equal(3, callIds.Distinct().Count());
        Assert.Equal(3, callIds.Count);
        Assert.Contains("q7@pacing.test", callIds);
        Assert.Equal("q4@pacing.test", callIds[^1]);
        Assert.Equal(1, Metrics.Shed["notify-queue-full"]);
    }

    [Fact]
    public void A_retransmission_of_a_NOTIFY_that_still_waits_is_coalesced_into_the_waiting_copy()
    {
        // One token a second: the second dialog's NOTIFY waits a whole second, across its Timer E at 0.5 s.
        StartRouter(DefaultOptions with { NotifyPacing = new NotifyPacingOptions(PerSecond: 1, Burst: 1, QueueLimit: 10) });
        var first = StartExchange(Snom("c1"), ByUnicast(Phone));
        Inject(PhoneAnswer(first.Notify.Request, 200), ByUnicast(Phone));
        Settle(first.Dialog);

        Inject(Snom("c2"), ByUnicast(Phone));
        Settle();
        ExpectResponse(200);
        ExpectNoDatagram();

        AdvanceTo(0.5);
        Settle();
        ExpectNoDatagram();
        Assert.Equal(1, Metrics.NotifiesCoalesced);

        AdvanceTo(1.0);
        Settle();
        var notify = ExpectDatagram();
        Assert.Equal("c2@pacing.test", notify.Request.CallId);
        ExpectNoDatagram();
        // Counted as sent once each: the coalesced retransmission never reached the socket.
        Assert.Equal(2, Metrics.Sent(SentDatagram.Notify));
    }

    [Fact]
    public void Without_pacing_there_is_no_pacer_and_NOTIFYs_go_straight_to_the_socket()
    {
        StartRouter(DefaultOptions with { NotifyPacing = NotifyPacingOptions.Unpaced });
        foreach (var id in new[] { "u1", "u2", "u3" }) Inject(Snom(id), ByUnicast(Phone));
        Settle();
        Assert.Equal(3, TakeWire(6).Count(IsNotify));
        Assert.Equal(0, Metrics.NotifyQueue);
    }

    private void Answer(Outbound notify) => Inject(PhoneAnswer(notify.Request, 200), ByUnicast(Phone));

    private List<Outbound> TakeWire(int count) => Enumerable.Range(0, count).Select(_ => ExpectDatagram()).ToList();

    private static bool IsNotify(Outbound o) => o.Message is SipRequest { Method: SipMethods.Notify };

    private static SipText Snom(string callId) => SipText.Snom360.With("Call-ID", $"{callId}@pacing.test");
}
