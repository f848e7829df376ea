using System.Net;
using SnomActors.Server.Config;
using SnomActors.Server.Provisioning;
using SnomActors.Sip.Identity;

namespace SnomActors.Server.Tests;

/// <summary>Issue 2 item 6: which template applies to a phone and what its placeholders become.</summary>
public sealed class ProvisioningUrlResolverSpecs
{
    private static readonly IPAddress Phone = IPAddress.Parse("10.0.0.91");
    private static readonly IPAddress Local = IPAddress.Parse("10.0.0.1");

    private static readonly DeviceIdentity SnomM700 = new("000413b50a1c", Vendors.Snom, "snomM700", "03.23.0005", "snomM700/03.23.0005");
    private static readonly DeviceIdentity Yealink = new("001565f4f9e1", Vendors.Yealink, "W52P", "25.81.0.10", "Yealink W52P 25.81.0.10");
    private static readonly DeviceIdentity Grandstream = new("c074ad112233", Vendors.Grandstream, "GRP2612W", "1.0.5.67", "Grandstream GRP2612W 1.0.5.67");
    private static readonly DeviceIdentity Gigaset = new("7c2f8030d21e", Vendors.Gigaset, "Maxwell 3", "2.22.7", "Gigaset Maxwell 3/2.22.7");
    private static readonly DeviceIdentity NoMac = new(null, Vendors.AudioCodes, "440HD", "2.2.2", null, "application");

    private static string Resolve(PnpOptions options, DeviceIdentity device) =>
        new ProvisioningUrlResolver(options).Resolve(device, Phone, Local);

    [Fact]
    public void The_default_URL_points_at_our_own_HTTP_endpoint_on_the_interface_the_SUBSCRIBE_came_in_on()
    {
        Assert.Equal("http://10.0.0.1:8080/settings/000413b50a1c.xml", Resolve(new PnpOptions(), SnomM700));
    }

    [Fact]
    public void A_configured_server_host_and_HTTP_port_replace_the_interface_address()
    {
        var options = new PnpOptions { ServerHost = "pnp.example.net", HttpPort = 8443 };
        Assert.Equal("http://pnp.example.net:8443/settings/000413b50a1c.xml", Resolve(options, SnomM700));
    }

    [Fact]
    public void An_IPv6_interface_address_is_bracketed_in_the_URL()
    {
        var url = new ProvisioningUrlResolver(new PnpOptions()).Resolve(SnomM700, IPAddress.Parse("2001:db8::91"), IPAddress.Parse("2001:db8::1"));
        Assert.Equal("http://[2001:db8::1]:8080/settings/000413b50a1c.xml", url);
    }

    [Fact]
    public void Every_server_side_placeholder_is_substituted()
    {
        var options = new PnpOptions { ProvisioningUrlTemplate = "https://{server}:{port}/p/{vendor}/{model}/{version}/{mac}?ip={ip}" };
        Assert.Equal("https://10.0.0.1:8080/p/snom/snomM700/03.23.0005/000413b50a1c?ip=10.0.0.91", Resolve(options, SnomM700));
    }

    [Fact]
    public void Model_and_version_are_escaped_so_they_cannot_break_the_URL()
    {
        var options = new PnpOptions { ProvisioningUrlTemplate = "http://{server}/{vendor}/{model}/{version}.cfg" };
        Assert.Equal("http://10.0.0.1/gigaset/Maxwell%203/2.22.7.cfg", Resolve(options, Gigaset));
    }

    [Theory]
    [InlineData("http://{server}/snom/{MODEL}.htm", "http://10.0.0.1/snom/{MODEL}.htm")]
    [InlineData("http://{server}/cfg/$mac.cfg", "http://10.0.0.1/cfg/$mac.cfg")]
    [InlineData("tftp://{server}/%MACD.cfg", "tftp://10.0.0.1/%MACD.cfg")]
    [InlineData("http://{server}/{unknown}/{Mac}", "http://10.0.0.1/{unknown}/{Mac}")]
    [InlineData("http://{server}/open/{mac", "http://10.0.0.1/open/{mac")]
    [InlineData("http://static.example.net/plain.xml", "http://static.example.net/plain.xml")]
    public void Phone_side_macros_and_unknown_braces_pass_through_verbatim(string template, string expected)
    {
        Assert.Equal(expected, Resolve(new PnpOptions { ProvisioningUrlTemplate = template }, SnomM700));
    }

    [Fact]
    public void A_device_without_a_MAC_keeps_the_mac_placeholder_for_the_phone_to_expand()
    {
        Assert.Equal("http://10.0.0.1:8080/settings/{mac}.xml", Resolve(new PnpOptions(), NoMac));
    }

    [Fact]
    public void A_vendor_template_overrides_the_default_a_model_template_the_vendor_one_and_a_MAC_template_everything()
    {
        var vendorOnly = new PnpOptions
        {
            VendorUrlTemplates = new Dictionary<string, string> { [Vendors.Snom] = "http://{server}/snom/{mac}.xml" },
        };
        Assert.Equal("http://10.0.0.1/snom/000413b50a1c.xml", Resolve(vendorOnly, SnomM700));
        Assert.Equal("http://10.0.0.1:8080/settings/001565f4f9e1.xml", Resolve(vendorOnly, Yealink));

        var byModel = vendorOnly with
        {
            ModelUrlTemplates = new Dictionary<string, string> { ["snomM700"] = "http://{server}/dect/{mac}.xml" },
        };
        Assert.Equal("http://10.0.0.1/dect/000413b50a1c.xml", Resolve(byModel, SnomM700));

        var byMac = byModel with
        {
            MacUrlTemplates = new Dictionary<string, string> { ["000413b50a1c"] = "http://{server}/lab/bench-1.xml" },
        };
        Assert.Equal("http://10.0.0.1/lab/bench-1.xml", Resolve(byMac, SnomM700));
        Assert.Equal("http://{server}/lab/bench-1.xml", new ProvisioningUrlResolver(byMac).TemplateFor(SnomM700));
        Assert.Equal("http://10.0.0.1:8080/settings/001565f4f9e1.xml", Resolve(byMac, Yealink));
    }

    [Fact]
    public void Model_templates_match_the_model_in_any_case()
    {
        var options = new PnpOptions { ModelUrlTemplates = new Dictionary<string, string> { ["SNOMM700"] = "http://{server}/m700.xml" } };
        Assert.Equal("http://10.0.0.1/m700.xml", Resolve(options, SnomM700));
    }

    [Fact]
    public void Vendor_templates_match_the_vendor_in_any_case()
    {
        // Operators write "Yealink" in appsettings.json; the vendor key is "yealink".
        var options = new PnpOptions { VendorUrlTemplates = new Dictionary<string, string> { ["Yealink"] = "http://{server}/yealink/{mac}.cfg" } };
        Assert.Equal("http://10.0.0.1/yealink/001565f4f9e1.cfg", Resolve(options, Yealink));
    }

    [Fact]
    public void MAC_templates_match_whatever_way_the_MAC_was_written_in_the_configuration()
    {
        var options = new PnpOptions { MacUrlTemplates = new Dictionary<string, string> { ["00:04:13:B5:0A:1C"] = "http://{server}/one.xml" } };
        Assert.Equal("http://10.0.0.1/one.xml", Resolve(options, SnomM700));
    }

    [Theory]
    [InlineData("http://{server}:{port}/settings/{mac}.xml", "http://10.0.0.1:8080/settings/")]
    [InlineData("http://{server}/gs", "http://10.0.0.1/gs/")]
    [InlineData("http://{server}/gs/", "http://10.0.0.1/gs/")]
    [InlineData("http://{server}", "http://10.0.0.1/")]
    [InlineData("http://provisioning.example.net", "http://provisioning.example.net/")]
    public void A_Grandstream_URL_always_ends_with_a_slash_because_the_phone_treats_it_as_a_directory(string template, string expected)
    {
        var url = Resolve(new PnpOptions { ProvisioningUrlTemplate = template }, Grandstream);
        Assert.Equal(expected, url);
        Assert.EndsWith("/", url);
    }

    [Fact]
    public void Grandstream_directory_URLs_can_be_switched_off_and_never_apply_to_other_vendors()
    {
        Assert.Equal("http://10.0.0.1:8080/settings/c074ad112233.xml",
            Resolve(new PnpOptions { GrandstreamDirectoryUrls = false }, Grandstream));
        Assert.Equal("http://10.0.0.1/gs", Resolve(new PnpOptions { ProvisioningUrlTemplate = "http://{server}/gs" }, Yealink));
    }

    [Fact]
    public void The_same_device_address_and_options_always_give_the_same_URL()
    {
        var resolver = new ProvisioningUrlResolver(new PnpOptions());
        Assert.Equal(resolver.Resolve(SnomM700, Phone, Local), resolver.Resolve(SnomM700, Phone, Local));
    }
}
