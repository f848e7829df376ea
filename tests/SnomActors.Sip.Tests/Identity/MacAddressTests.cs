using SnomActors.Sip.Identity;

namespace SnomActors.Sip.Tests.Identity;

public sealed class MacAddressTests
{
    [Theory]
    [InlineData("00041329882C", "00041329882c")]
    [InlineData("00041329882c", "00041329882c")]
    [InlineData("00:04:13:29:88:2C", "00041329882c")]
    [InlineData("00-04-13-29-88-2c", "00041329882c")]
    [InlineData("0004.1329.882C", "00041329882c")]
    [InlineData("000413-29882C", "00041329882c")]
    public void Twelve_hex_digits_in_the_usual_groupings_normalise_to_lower_case(string text, string expected)
    {
        Assert.True(MacAddress.TryNormalize(text, out var mac));
        Assert.Equal(expected, mac);
    }

    [Theory]
    [InlineData("")]
    [InlineData("00041329882")]
    [InlineData("00041329882C0")]
    [InlineData("00041329882G")]
    [InlineData("000000000000")]
    [InlineData("00:00:00:00:00:00")]
    [InlineData("FFFFFFFFFFFF")]
    [InlineData("ff:ff:ff:ff:ff:ff")]
    [InlineData("00:04-13:29:88:2C")]
    [InlineData("0:04:13:29:88:2C0")]
    [InlineData("000:413:298:82C")]
    [InlineData("00 04 13 29 88 2C")]
    [InlineData(null)]
    public void Anything_but_a_real_twelve_digit_mac_is_rejected(string? text)
    {
        Assert.False(MacAddress.TryNormalize(text, out var mac));
        Assert.Equal("", mac);
    }

    [Theory]
    [InlineData("MAC:00041329882C", "00041329882c")] // snom MAC%3a, unescaped
    [InlineData("MAC:C074AD112233", "c074ad112233")] // Grandstream / Gigaset MAC%3A, unescaped
    [InlineData("MAC001565f4f9e1", "001565f4f9e1")] // Yealink bare MAC prefix
    [InlineData("MAC=00304fa1b2c3", "00304fa1b2c3")] // Fanvil MAC=
    [InlineData("mac:00041329882c", "00041329882c")]
    [InlineData("00041329882C", "00041329882c")]
    [InlineData("urn:uuid:00000000-0000-1000-0000-00FF8D82EDCB", "00ff8d82edcb")]
    public void User_parts_in_every_vendor_form_yield_the_mac(string user, string expected)
    {
        Assert.True(DeviceIdentityExtractor.TryMacFromUser(user, out var mac));
        Assert.Equal(expected, mac);
    }

    [Theory]
    [InlineData("MAC:000000000000")]
    [InlineData("MAC%3aFFFFFFFFFFFF")]
    [InlineData("MACFFFFFFFFFFFF")]
    [InlineData("512")]
    [InlineData("00000001")]
    [InlineData("MAC:0004132988")]
    [InlineData(null)]
    [InlineData("")]
    public void User_parts_without_a_real_mac_yield_none(string? user)
    {
        Assert.False(DeviceIdentityExtractor.TryMacFromUser(user, out _));
    }

    [Fact]
    public void Escaped_snom_and_grandstream_user_parts_yield_the_mac_once_unescaped()
    {
        Assert.True(DeviceIdentityExtractor.TryMacFromUser(SnomActors.Sip.Headers.SipUri.Unescape("MAC%3a00041329882C"), out var snom));
        Assert.True(DeviceIdentityExtractor.TryMacFromUser(SnomActors.Sip.Headers.SipUri.Unescape("MAC%3AC074AD112233"), out var gs));
        Assert.Equal("00041329882c", snom);
        Assert.Equal("c074ad112233", gs);
    }

    [Theory]
    [InlineData("snomM700/03.23.0005 (MAC=000413B50A1C; SER=2420117805; HW=6)", "000413b50a1c")]
    [InlineData("snomM700/03.23.0005 (MAC=00:04:13:B5:0A:1C; SER=1)", "000413b50a1c")]
    [InlineData("Fanvil X303 2.12.18.9 0c383e63963b", "0c383e63963b")]
    [InlineData("PLANET VIP-2140PT 2.0.3.2991 00304fa1b2c3", "00304fa1b2c3")]
    public void User_agents_carrying_a_mac_yield_it(string userAgent, string expected)
    {
        Assert.True(DeviceIdentityExtractor.TryMacFromUserAgent(userAgent, out var mac));
        Assert.Equal(expected, mac);
    }

    [Theory]
    [InlineData("Yealink W52P 25.81.0.10")]
    [InlineData("snom360/7.3.14")]
    [InlineData("Phone (MAC=FFFFFFFFFFFF)")]
    [InlineData("")]
    [InlineData(null)]
    public void User_agents_without_a_mac_yield_none(string? userAgent)
    {
        Assert.False(DeviceIdentityExtractor.TryMacFromUserAgent(userAgent, out _));
    }

    [Theory]
    [InlineData("urn:uuid:00000000-0000-1000-0000-00FF8D82EDCB", "00ff8d82edcb")]
    [InlineData("URN:UUID:00000000-0000-1000-8000-000413a1b2c3", "000413a1b2c3")]
    public void A_version_1_uuid_urn_yields_its_node_field(string urn, string expected)
    {
        Assert.True(DeviceIdentityExtractor.TryMacFromUuidUrn(urn, out var mac));
        Assert.Equal(expected, mac);
    }

    [Theory]
    [InlineData("urn:uuid:f81d4fae-7dec-41d0-a765-00a0c91e6bf6")] // version 4: the node is random
    [InlineData("urn:uuid:00000000-0000-1000-0000-000000000000")]
    [InlineData("urn:uuid:not-a-uuid")]
    [InlineData("uuid:00000000-0000-1000-0000-00FF8D82EDCB")]
    public void Other_uuids_yield_no_mac(string urn)
    {
        Assert.False(DeviceIdentityExtractor.TryMacFromUuidUrn(urn, out _));
    }

    [Fact]
    public void The_colon_form_is_for_people_to_read()
    {
        Assert.Equal("00:04:13:29:88:2c", MacAddress.ToColonForm("00041329882c"));
    }

    [Theory]
    [InlineData("snom", "snom")]
    [InlineData("Grandstream", "grandstream")]
    [InlineData("PLANET", "fanvil")]
    [InlineData("KX-HDV130", "panasonic")]
    [InlineData("AUDC-IPPhone-440HD_UC_2.2.2/1.0", "audiocodes")]
    [InlineData("Acme", null)]
    public void Vendor_strings_map_to_vendor_keys(string text, string? expected)
    {
        Assert.Equal(expected, DeviceIdentityExtractor.VendorFromText(text));
    }
}
