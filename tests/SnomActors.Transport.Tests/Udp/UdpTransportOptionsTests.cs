using System.Net;
using SnomActors.Transport.Udp;

namespace SnomActors.Transport.Tests.Udp;

public sealed class UdpTransportOptionsTests
{
    [Fact]
    public void Defaults_listen_on_all_addresses_port_5060_and_join_224_0_1_75_everywhere()
    {
        var options = new UdpTransportOptions();

        options.Validate();
        Assert.Equal(IPAddress.Any, options.BindAddress);
        Assert.Equal(5060, options.Port);
        Assert.Equal(IPAddress.Parse("224.0.1.75"), options.MulticastGroup);
        Assert.True(options.EnableMulticast);
        Assert.Empty(options.MulticastInterfaces);
        Assert.Equal(4 * 1024 * 1024, options.ReceiveBufferBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.RestartMinBackoff);
        Assert.Equal(TimeSpan.FromSeconds(10), options.RestartMaxBackoff);
        Assert.Equal(0.2, options.RestartRandomFactor);
    }

    public static TheoryData<UdpTransportOptions, string> InvalidOptions => new()
    {
        { new UdpTransportOptions { BindAddress = IPAddress.IPv6Any }, "BindAddress" },
        { new UdpTransportOptions { Port = 70_000 }, "Port" },
        { new UdpTransportOptions { MulticastGroup = IPAddress.Parse("10.0.0.1") }, "MulticastGroup" },
        { new UdpTransportOptions { ReceiveBufferBytes = 0 }, "ReceiveBufferBytes" },
        { new UdpTransportOptions { BindRetryAttempts = -1 }, "BindRetryAttempts" },
        { new UdpTransportOptions { MulticastInterfaces = ["eth0", " "] }, "MulticastInterfaces" },
        { new UdpTransportOptions { RestartMinBackoff = TimeSpan.FromSeconds(20) }, "RestartMinBackoff" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Invalid_settings_are_rejected_naming_the_setting(UdpTransportOptions options, string setting)
    {
        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal(setting, error.ParamName);
    }
}
