using System.Net;
using Akka.Actor;
using SnomActors.Server.Actors;
using SnomActors.Server.Config;
using SnomActors.Server.Messages;
using SnomActors.Server.Provisioning;
using SnomActors.Server.Tests.Support;
using Xunit.Abstractions;

namespace SnomActors.Server.Tests;

/// <summary>
/// Issue 5 item 3: deny lists, the operator's decisions from the registry, the enrolment window
/// with quarantine outside it, and the on-link check for multicast senders.
/// </summary>
public sealed class RouterEnrolmentSpecs(ITestOutputHelper output) : PnpSpec(output)
{
    private static readonly IPEndPoint YealinkAddress = new(IPAddress.Parse("10.1.3.239"), 5059);
    private const string YealinkMac = "001565f4f9e1";

    private static PnpOptions Enrolment(DeviceAdmissionCache? cache = null) =>
        DefaultOptions with { UnknownDevices = UnknownDevicePolicy.Enrolment, DeviceAdmission = cache ?? new DeviceAdmissionCache() };

    [Fact]
    public void With_enrolment_closed_an_unknown_phone_is_quarantined_silently_on_multicast()
    {
        StartRouter(Enrolment());
        Inject(SipText.Snom360, ByMulticast());
        var quarantined = ExpectEvent<DeviceQuarantined>();
        Assert.Equal("snom", quarantined.Device.Vendor);
        ExpectNoDatagram();
        Assert.Equal(0, LiveDialogs().Dialogs);
    }

    [Fact]
    public void With_enrolment_closed_an_unknown_phone_gets_403_on_unicast()
    {
        StartRouter(Enrolment());
        Inject(SipText.Snom360, ByUnicast());
        ExpectEvent<DeviceQuarantined>();
        ExpectResponse(403);
        ExpectNoDatagram();
    }

    [Fact]
    public async Task While_the_enrolment_window_is_open_unknown_phones_are_provisioned_and_after_it_closes_they_are_not()
    {
        var router = StartRouter(Enrolment());
        var status = await router.Ask<DialogRouter.EnrolmentStatus>(new DialogRouter.OpenEnrolment(TimeSpan.FromMinutes(30)), TimeSpan.FromSeconds(3));
        Assert.True(status.Open);

        var exchange = StartExchange(SipText.Snom360);
        Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast());
        ExpectEvent<NotifyAcknowledged>();
        Settle(exchange.Dialog);
        AdvanceTo(5);
        ExpectStopped(exchange.Dialog);

        AdvanceTo(31 * 60);
        Assert.False((await router.Ask<DialogRouter.EnrolmentStatus>(DialogRouter.GetEnrolment.Instance, TimeSpan.FromSeconds(3))).Open);
        Inject(SipText.YealinkW52P, ByMulticast(YealinkAddress));
        ExpectNoDatagram();
    }

    [Fact]
    public void An_approved_phone_is_provisioned_outside_the_enrolment_window()
    {
        var cache = new DeviceAdmissionCache();
        cache.Set(YealinkMac, AdmissionVerdict.Allowed);
        StartRouter(Enrolment(cache));
        Inject(SipText.YealinkW52P, ByMulticast(YealinkAddress));
        ExpectResponse(200);
        ExpectNotify();
    }

    [Fact]
    public void A_phone_the_operator_denied_is_never_provisioned_even_in_the_default_mode()
    {
        var cache = new DeviceAdmissionCache();
        StartRouter(DefaultOptions with { DeviceAdmission = cache });
        cache.Set(YealinkMac, AdmissionVerdict.Denied);
        Inject(SipText.YealinkW52P, ByUnicast(YealinkAddress));
        ExpectResponse(403);
        ExpectNoDatagram();
    }

    [Fact]
    public void A_denied_OUI_is_refused_whatever_the_policy()
    {
        StartRouter(DefaultOptions with { DeniedOuis = new HashSet<string> { "000413" } });
        Inject(SipText.Snom360, ByMulticast());
        ExpectNoDatagram();
        Inject(SipText.Snom360, ByUnicast());
        ExpectResponse(403);
    }

    [Fact]
    public void A_multicast_SUBSCRIBE_from_off_the_arrival_interface_subnet_is_ignored()
    {
        StartRouter();
        Inject(SipText.Snom360, ByMulticast() with { SourceOnLink = false });
        ExpectNoDatagram();
        Assert.Equal(0, LiveDialogs().Dialogs);

        Inject(SipText.Snom360, ByMulticast() with { SourceOnLink = true });
        ExpectResponse(200);
    }
}
