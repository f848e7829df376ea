using System.Net;
using System.Text;
using SnomActors.Simulator.Phones;
using SnomActors.Simulator.Profiles;
using SnomActors.Sip.Identity;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Parsing;

namespace SnomActors.Simulator.Tests.Profiles;

public sealed class PhoneProfileTests
{
    private static readonly IPEndPoint Group = new(IPAddress.Parse("224.0.1.75"), 5060);

    public static TheoryData<string> Vendors() => new(PhoneProfiles.All.Select(p => p.Vendor));

    private static (PhoneIdentity Phone, SipRequest Request, string Text) Render(string vendor, int index = 0)
    {
        var phone = PhonePlanner.Plan(VendorMix.Parse(vendor), index + 1, seed: 9)[index];
        var bytes = SubscribeRenderer.Render(phone, new IPEndPoint(IPAddress.Parse("10.0.0.2"), phone.Profile.SipPort), Group);
        Assert.True(SipParser.TryParse(bytes, out var message, out var error), error?.ToString());
        return (phone, Assert.IsType<SipRequest>(message), Encoding.ASCII.GetString(bytes));
    }

    [Theory]
    [MemberData(nameof(Vendors))]
    public void Every_vendors_SUBSCRIBE_parses_and_the_daemon_finds_its_MAC_and_vendor(string vendor)
    {
        for (var i = 0; i < 4; i++)
        {
            var (phone, request, _) = Render(vendor, i);
            Assert.Equal(SipMethods.Subscribe, request.Method);
            Assert.Equal("ua-profile", request.Event?.Package);
            Assert.Equal(0u, request.Expires);
            Assert.Contains("application/url", request.GetList(HeaderNames.Accept));
            var identity = DeviceIdentityExtractor.Extract(request);
            Assert.Equal(phone.Mac, identity.Mac);
            Assert.Equal(phone.Profile.Vendor, identity.Vendor);
            Assert.Contains(phone.Mac[..6], phone.Profile.Ouis);
        }
    }

    [Fact]
    public void Snom_sends_MAC_percent_3a_upper_hex_a_branchless_Via_with_rport_and_no_Max_Forwards()
    {
        var (phone, request, _) = Render(Sip.Identity.Vendors.Snom);
        Assert.Equal($"sip:MAC%3a{phone.Mac.ToUpperInvariant()}@224.0.1.75", request.RequestUri.Raw);
        Assert.Null(request.TopVia.Branch);
        Assert.True(request.TopVia.HasRPort);
        Assert.Null(request.MaxForwards);
        Assert.Null(request.Contact!.Uri.User);
    }

    [Fact]
    public void Yealink_sends_a_bare_lower_case_MAC_a_branch_without_rport_and_a_Contact_with_user()
    {
        var (phone, request, _) = Render(Sip.Identity.Vendors.Yealink);
        Assert.Equal($"sip:MAC{phone.Mac}@224.0.1.75", request.RequestUri.Raw);
        Assert.True(request.TopVia.HasRfc3261Branch);
        Assert.False(request.TopVia.HasRPort);
        Assert.Equal($"MAC{phone.Mac}", request.Contact!.Uri.User);
        Assert.Equal(5059, request.TopVia.Port);
    }

    [Fact]
    public void Grandstream_sends_MAC_percent_3A_CSeq_20000_from_port_5080_with_branch_and_rport()
    {
        var (phone, request, _) = Render(Sip.Identity.Vendors.Grandstream);
        Assert.Equal($"sip:MAC%3A{phone.Mac.ToUpperInvariant()}@224.0.1.75", request.RequestUri.Raw);
        Assert.Equal(20000u, request.CSeq.Number);
        Assert.Equal(5080, request.TopVia.Port);
        Assert.True(request.TopVia.HasRfc3261Branch && request.TopVia.HasRPort);
    }

    [Fact]
    public void Gigaset_uses_the_host_local_and_Fanvil_MAC_equals_and_an_Event_header_without_space()
    {
        var (gigaset, gRequest, _) = Render(Sip.Identity.Vendors.Gigaset);
        Assert.Equal($"sip:MAC%3A{gigaset.Mac.ToUpperInvariant()}@local", gRequest.RequestUri.Raw);
        var (fanvil, fRequest, text) = Render(Sip.Identity.Vendors.Fanvil);
        Assert.Equal($"sip:MAC={fanvil.Mac}@224.0.1.75", fRequest.RequestUri.Raw);
        Assert.Contains("\r\nEvent:ua-profile;", text);
        Assert.EndsWith(fanvil.Mac, fRequest.UserAgent);
    }

    [Fact]
    public void Panasonic_spells_the_vendor_parameter_vender()
    {
        var (_, request, _) = Render(Sip.Identity.Vendors.Panasonic);
        Assert.Equal("Panasonic", request.Event!.Parameters["vender"]?.Trim('"'));
    }

    [Fact]
    public void MACs_are_unique_across_a_large_mixed_run_and_the_plan_repeats_for_its_seed()
    {
        var plan = PhonePlanner.Plan(VendorMix.All, 50_000, seed: 3);
        Assert.Equal(plan.Count, plan.Select(p => p.Mac).Distinct().Count());
        Assert.Equal(plan.Count, plan.Select(p => p.CallIdLocalPart).Distinct().Count());
        Assert.Equal(plan.Select(p => p.Mac), PhonePlanner.Plan(VendorMix.All, 50_000, seed: 3).Select(p => p.Mac));
        Assert.NotEqual(plan.Select(p => p.Mac), PhonePlanner.Plan(VendorMix.All, 50_000, seed: 4).Select(p => p.Mac));
    }
}
