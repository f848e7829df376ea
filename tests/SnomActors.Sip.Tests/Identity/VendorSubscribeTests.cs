using SnomActors.Sip.Identity;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Tests.Corpus;
using SnomActors.Sip.Tests.Support;

namespace SnomActors.Sip.Tests.Identity;

/// <summary>Every vendor SUBSCRIBE form of protocol.md §5.1 (TestData/vendors/manifest.csv).</summary>
public sealed class VendorSubscribeTests
{
    public static TheoryData<string> Files() => new(VendorSamples.Load().Select(s => s.File));

    private static VendorSample Sample(string file) => VendorSamples.Load().Single(s => s.File == file);

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_vendor_subscribe_parses_as_a_ua_profile_subscribe(string file)
    {
        var request = Wire.ParseRequest(Sample(file).Bytes);
        Assert.Same(SipMethods.Subscribe, request.Method);
        Assert.Equal("ua-profile", request.Event!.Package);
        Assert.Equal(0u, request.Expires);
        Assert.Contains("application/url", request.GetList(HeaderNames.Accept));
        Assert.NotNull(request.Contact);
        Assert.NotNull(request.From.Tag);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void The_extractor_finds_the_manifest_mac_vendor_model_and_version(string file)
    {
        var sample = Sample(file);
        var request = Wire.ParseRequest(sample.Bytes);
        var identity = DeviceIdentityExtractor.Extract(request);

        Assert.Equal(sample.Mac.Length == 0 ? null : sample.Mac, identity.Mac);
        Assert.Equal(sample.Vendor, identity.Vendor);
        Assert.Equal(sample.Model, identity.Model);
        Assert.Equal(sample.Version, identity.Version);
        Assert.Equal(request.UserAgent, identity.UserAgent);
        Assert.Equal(request.Event!.Parameters["profile-type"], identity.ProfileType);
        Assert.Equal(sample.Mac.Length == 0 ? null : sample.Mac[..6], identity.Oui);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void The_vendor_alone_is_the_vendor_of_the_full_extraction(string file)
    {
        var request = Wire.ParseRequest(Sample(file).Bytes);
        Assert.Equal(DeviceIdentityExtractor.Extract(request).Vendor, DeviceIdentityExtractor.VendorOf(request));
    }

    [Theory]
    [InlineData("Event: ua-profile;profile-type=\"device\";vendor=\"OEM\";model=\"OEM\";version=\"7.1.30\"", "User-Agent: snom320-SIP 7.1.30")]
    [InlineData("Event: ua-profile", "User-Agent: Yealink W52P 25.81.0.10")]
    [InlineData("Event: ua-profile;model=\"KX-UT123\"", "User-Agent: ")]
    [InlineData("Event: ua-profile", "User-Agent:  ")]
    public void The_vendor_alone_follows_the_same_precedence_as_the_full_extraction(string eventRow, string userAgentRow)
    {
        var request = Wire.ParseRequest(Wire.Subscribe(("Event", eventRow), ("Accept", userAgentRow)));
        Assert.Equal(DeviceIdentityExtractor.Extract(request).Vendor, DeviceIdentityExtractor.VendorOf(request));
    }

    [Fact]
    public void A_snom_7_1_subscribe_with_oem_placeholders_takes_vendor_and_model_from_the_user_agent()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(
            ("Event", "Event: ua-profile;profile-type=\"device\";vendor=\"OEM\";model=\"OEM\";version=\"7.1.30\""),
            ("Accept", "User-Agent: snom320-SIP 7.1.30")));
        var identity = DeviceIdentityExtractor.Extract(request);
        Assert.Equal(Vendors.Snom, identity.Vendor);
        Assert.Equal("snom320", identity.Model);
        Assert.Equal("7.1.30", identity.Version);
        Assert.Equal("00041329882c", identity.Mac);
    }

    [Fact]
    public void Without_event_parameters_or_user_agent_the_vendor_comes_from_the_oui()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(("Event", "Event: ua-profile")));
        var identity = DeviceIdentityExtractor.Extract(request);
        Assert.Equal(Vendors.Snom, identity.Vendor);
        Assert.Null(identity.Model);
        Assert.Equal("device", identity.ProfileType);
    }

    [Fact]
    public void A_subscribe_without_any_mac_yields_a_null_mac_and_unknown_vendor()
    {
        var request = Wire.ParseRequest(Wire.Message(
            "SUBSCRIBE sip:224.0.1.75:5060 SIP/2.0", "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKx", "From: <sip:1@192.0.2.9>;tag=1",
            "To: <sip:224.0.1.75>", "Call-ID: nomac", "CSeq: 1 SUBSCRIBE", "Event: ua-profile", "Content-Length: 0"));
        var identity = DeviceIdentityExtractor.Extract(request);
        Assert.Null(identity.Mac);
        Assert.Null(identity.Oui);
        Assert.Equal(Vendors.Unknown, identity.Vendor);
    }

    [Fact]
    public void The_mac_is_found_in_the_to_user_when_the_request_uri_has_none()
    {
        var request = Wire.ParseRequest(Wire.Subscribe(("SUBSCRIBE", "SUBSCRIBE sip:224.0.1.75 SIP/2.0")));
        Assert.Equal("00041329882c", DeviceIdentityExtractor.FindMac(request));
    }

    [Fact]
    public void The_mac_is_found_in_the_user_agent_when_no_uri_carries_one()
    {
        var request = Wire.ParseRequest(Wire.Message(
            "SUBSCRIBE sip:224.0.1.75 SIP/2.0", "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKx", "From: <sip:512@192.0.2.9>;tag=1",
            "To: <sip:224.0.1.75>", "Call-ID: ua", "CSeq: 1 SUBSCRIBE", "Event: ua-profile",
            "User-Agent: snomM700/03.23.0005 (MAC=00:04:13:B5:0A:1C; SER=1; HW=6)", "Content-Length: 0"));
        Assert.Equal("000413b50a1c", DeviceIdentityExtractor.FindMac(request));
    }

    [Fact]
    public void The_mac_is_found_in_an_rfc_6080_uuid_urn_device_identifier()
    {
        var request = Wire.ParseRequest(Wire.Message(
            "SUBSCRIBE sip:urn%3auuid%3a00000000-0000-1000-0000-00FF8D82EDCB@example.com SIP/2.0",
            "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKx", "From: <sip:anonymous@example.com>;tag=1",
            "To: <sip:urn%3auuid%3a00000000-0000-1000-0000-00FF8D82EDCB@example.com>", "Call-ID: uuid", "CSeq: 1 SUBSCRIBE",
            "Event: ua-profile;profile-type=device", "Content-Length: 0"));
        Assert.Equal("00ff8d82edcb", DeviceIdentityExtractor.FindMac(request));
    }

    [Fact]
    public void The_mac_is_found_in_a_contact_sip_instance_urn()
    {
        var request = Wire.ParseRequest(Wire.Message(
            "SUBSCRIBE sip:_sipuaconfig.example.com SIP/2.0", "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKx",
            "From: <sip:anonymous@example.com>;tag=1", "To: <sip:_sipuaconfig.example.com>", "Call-ID: inst", "CSeq: 1 SUBSCRIBE",
            "Contact: <sip:192.0.2.9>;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000413A1B2C3>\"",
            "Event: ua-profile;profile-type=local-network", "Content-Length: 0"));
        Assert.Equal("000413a1b2c3", DeviceIdentityExtractor.FindMac(request));
        Assert.Equal("local-network", DeviceIdentityExtractor.Extract(request).ProfileType);
    }
}
