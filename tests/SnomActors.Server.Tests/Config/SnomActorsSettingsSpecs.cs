using SnomActors.Server.Config;
using SnomActors.Server.Provisioning;
using SnomActors.Sip.Identity;

namespace SnomActors.Server.Tests.Config;

/// <summary>The settings → PnP options step: what <c>{server}</c> resolves against, the parser limits and their validation.</summary>
public sealed class SnomActorsSettingsSpecs
{
    private static SnomActorsSettings WithHttpUrls(string urls, string publicHost = "") =>
        new() { Http = new SnomActorsSettings.HttpSettings { Urls = urls, PublicHost = publicHost } };

    [Theory]
    [InlineData("http://127.0.0.2:8081", "127.0.0.2")]
    [InlineData("http://10.0.0.5:8080;http://0.0.0.0:9090", "10.0.0.5")]
    [InlineData("http://pnp.example.net:8080", "pnp.example.net")]
    [InlineData("http://localhost:8080", "localhost")]
    [InlineData("http://[fd00::5]:8080", "[fd00::5]")]
    [InlineData("http://0.0.0.0:8080", "")]
    [InlineData("http://*:8080", "")]
    [InlineData("http://+:8080", "")]
    [InlineData("http://[::]:8080", "")]
    public void The_server_host_is_the_first_http_urls_host_unless_it_is_a_wildcard(string urls, string expected)
    {
        Assert.Equal(expected, WithHttpUrls(urls).ToPnpOptions(5060).ServerHost);
    }

    [Fact]
    public void Http_PublicHost_wins_over_the_http_url()
    {
        Assert.Equal("pnp.example.net", WithHttpUrls("http://127.0.0.2:8081", "pnp.example.net").ToPnpOptions(5060).ServerHost);
    }

    [Fact]
    public void The_default_url_points_at_the_http_url_host_and_port_not_the_receiving_interface()
    {
        var options = WithHttpUrls("http://127.0.0.2:8081").ToPnpOptions(5060);
        var device = new DeviceIdentity("00041329882c", "snom", "snom360", "7.3.14", "snom360");
        var url = new ProvisioningUrlResolver(options).Resolve(device, System.Net.IPAddress.Parse("10.1.2.3"), System.Net.IPAddress.Parse("10.1.2.1"));
        Assert.Equal("http://127.0.0.2:8081/settings/00041329882c.xml", url);
    }

    [Fact]
    public void With_a_wildcard_http_url_the_default_url_names_the_receiving_interface()
    {
        var options = WithHttpUrls("http://0.0.0.0:8081").ToPnpOptions(5060);
        var device = new DeviceIdentity("00041329882c", "snom", "snom360", "7.3.14", "snom360");
        var url = new ProvisioningUrlResolver(options).Resolve(device, System.Net.IPAddress.Parse("10.1.2.3"), System.Net.IPAddress.Parse("10.1.2.1"));
        Assert.Equal("http://10.1.2.1:8081/settings/00041329882c.xml", url);
    }

    [Fact]
    public void The_parser_limits_come_from_the_Sip_section()
    {
        var settings = new SnomActorsSettings();
        settings.Sip.MaxDatagramBytes = 4000;
        settings.Sip.MaxLineLength = 300;
        settings.Sip.MaxHeaderCount = 40;
        Assert.Equal(new Sip.Parsing.SipParserLimits(4000, 40, 300), settings.ToPnpOptions(5060).ParserLimits);
        Assert.Equal(Sip.Parsing.SipParserLimits.Default, new SnomActorsSettings().ToPnpOptions(5060).ParserLimits);
    }

    [Theory]
    [InlineData(0, 8192, 128, "Sip:MaxDatagramBytes 0 is not in 1-65535.")]
    [InlineData(65536, 8192, 128, "Sip:MaxDatagramBytes 65536 is not in 1-65535.")]
    [InlineData(65535, 0, 128, "Sip:MaxLineLength 0 must be at least 1.")]
    [InlineData(65535, 8192, 0, "Sip:MaxHeaderCount 0 must be at least 1.")]
    public void Out_of_range_parser_limits_are_refused_naming_the_setting(int datagram, int line, int headers, string message)
    {
        var settings = new SnomActorsSettings();
        settings.Sip.MaxDatagramBytes = datagram;
        settings.Sip.MaxLineLength = line;
        settings.Sip.MaxHeaderCount = headers;
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => settings.ToPnpOptions(5060)).Message);
    }
}
