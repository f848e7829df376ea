using System.Net;
using SnomActors.Server.Overload;
using SnomActors.Server.Provisioning;
using SnomActors.Server.Tests.Support;
using SnomActors.Sip.Messages;
using Xunit.Abstractions;

namespace SnomActors.Server.Tests.Overload;

/// <summary>
/// Overload control in the router (issue 5 item 2): per-source token buckets and the live-dialog cap
/// shed new transactions with 503 + Retry-After (silence on multicast), count every one by reason
/// and vendor, and decide before any per-request work — the admission check is never consulted for a
/// request that is shed.
/// </summary>
public sealed class RouterSheddingSpecs(ITestOutputHelper output) : PnpSpec(output)
{
    private static readonly IPEndPoint PhoneA = new(IPAddress.Parse("10.0.0.91"), 5060);
    private static readonly IPEndPoint PhoneB = new(IPAddress.Parse("10.0.0.92"), 5060);

    private readonly CountingAdmission _admission = new();

    [Fact]
    public void A_source_beyond_its_burst_is_shed_and_counted_per_source_while_another_source_is_still_admitted()
    {
        StartRouter(DefaultOptions with
        {
            RetryAfterSeconds = 4,
            DeviceAdmission = _admission,
            RateLimits = new RateLimitOptions(PerSourcePerSecond: 1, PerSourceBurst: 2, GlobalPerSecond: 0),
        });
        StartExchange(Snom("a1"), ByUnicast(PhoneA));
        StartExchange(Snom("a2"), ByUnicast(PhoneA));

        Inject(Snom("a3"), ByUnicast(PhoneA));
        var busy = ExpectResponse(503);
        Assert.Equal(PhoneA, busy.Destination);
        Assert.Equal("4", busy.Response.GetFirst(HeaderNames.RetryAfter));
        ExpectNoDatagram();
        Inject(Snom("a4"), ByMulticast(PhoneA));
        ExpectNoDatagram();

        StartExchange(Snom("b1"), ByUnicast(PhoneB));

        Assert.Equal(2, Metrics.Shed["rate-per-source"]);
        Assert.False(Metrics.Shed.ContainsKey("rate-global"));
        Assert.Equal(2, Metrics.Subscribes[("snom", "shed")]);
        Assert.Equal(3, Metrics.Subscribes[("snom", "accepted")]);
        Assert.Equal(1, Metrics.ResponsesSent[503]);
        Assert.Equal(3, _admission.Checks);
    }

    [Fact]
    public void A_shed_source_is_admitted_again_once_its_bucket_refills()
    {
        StartRouter(DefaultOptions with { RateLimits = new RateLimitOptions(PerSourcePerSecond: 1, PerSourceBurst: 1, GlobalPerSecond: 0) });
        var first = StartExchange(Snom("a1"), ByUnicast(PhoneA));
        Inject(PhoneAnswer(first.Notify.Request, 200), ByUnicast(PhoneA));
        Settle(first.Dialog);
        Inject(Snom("a2"), ByUnicast(PhoneA));
        ExpectResponse(503);

        // 1 token/s = one token every ten 100 ms replenishment ticks, advanced one tick at a time.
        for (var tick = 1; tick <= 10; tick++)
        {
            AdvanceTo(tick / 10.0);
            Settle();
        }
        Inject(Snom("a3"), ByUnicast(PhoneA));
        ExpectResponse(200);
        ExpectNotify();
        Assert.Equal(1, Metrics.Shed["rate-per-source"]);
    }

    [Fact]
    public void At_the_dialog_cap_the_SUBSCRIBE_is_shed_before_identity_and_admission_and_still_counted_by_vendor()
    {
        StartRouter(DefaultOptions with { MaxLiveDialogs = 1, DeviceAdmission = _admission });
        StartExchange(SipText.Snom360);
        Assert.Equal(1, _admission.Checks);

        Inject(SipText.YealinkW52P, ByUnicast(PhoneA));
        ExpectResponse(503);
        Inject(SipText.GrandstreamGrp2612W, ByMulticast(PhoneB));
        ExpectNoDatagram();
        ExpectNoEvent();

        Assert.Equal(1, _admission.Checks);
        Assert.Equal(2, Metrics.Shed["dialog-cap"]);
        Assert.Equal(1, Metrics.Subscribes[("yealink", "shed")]);
        Assert.Equal(1, Metrics.Subscribes[("grandstream", "shed")]);
    }

    [Fact]
    public void At_the_dialog_cap_a_SUBSCRIBE_that_would_be_refused_is_shed_too()
    {
        // Overload comes first: a phone on the deny list gets 503 rather than 403 while the cap is reached.
        StartRouter(DefaultOptions with { MaxLiveDialogs = 1, DeniedOuis = new HashSet<string> { "001565" } });
        StartExchange(SipText.Snom360);

        Inject(SipText.YealinkW52P, ByUnicast(PhoneA));
        ExpectResponse(503);
        Assert.Equal(1, Metrics.Shed["dialog-cap"]);
        Assert.False(Metrics.Subscribes.ContainsKey(("yealink", "rejected-403")));
    }

    private static SipText Snom(string callId) => SipText.Snom360.With("Call-ID", $"{callId}@shed.test");

    /// <summary>Admits everyone, counting how often the router asked.</summary>
    private sealed class CountingAdmission : IDeviceAdmission
    {
        private int _checks;

        public int Checks => Volatile.Read(ref _checks);

        public AdmissionVerdict Check(string mac)
        {
            Interlocked.Increment(ref _checks);
            return AdmissionVerdict.Unknown;
        }
    }
}
