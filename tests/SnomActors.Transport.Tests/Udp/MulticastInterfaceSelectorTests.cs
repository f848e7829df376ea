using System.Net;
using SnomActors.Transport.Udp;

namespace SnomActors.Transport.Tests.Udp;

public sealed class MulticastInterfaceSelectorTests
{
    private static readonly NetworkInterfaceSnapshot Loopback =
        new("lo", 1, IsUp: true, SupportsMulticast: false, IsLoopback: true, [new(IPAddress.Loopback, 8)]);

    private static readonly NetworkInterfaceSnapshot Eth0 =
        new("eth0", 2, IsUp: true, SupportsMulticast: true, IsLoopback: false, [new(IPAddress.Parse("10.0.0.5"), 24), new(IPAddress.Parse("10.0.1.5"), 24)]);

    private static readonly NetworkInterfaceSnapshot Eth1Down =
        new("eth1", 3, IsUp: false, SupportsMulticast: true, IsLoopback: false, [new(IPAddress.Parse("192.168.7.2"), 24)]);

    private static readonly NetworkInterfaceSnapshot Wlan0NoIpv4 =
        new("wlan0", 4, IsUp: true, SupportsMulticast: true, IsLoopback: false, []);

    private static readonly NetworkInterfaceSnapshot Tun0NoMulticast =
        new("tun0", 5, IsUp: true, SupportsMulticast: false, IsLoopback: false, [new(IPAddress.Parse("172.16.0.1"), 30)]);

    private static readonly NetworkInterfaceSnapshot Vlan10 =
        new("eth0.10", 6, IsUp: true, SupportsMulticast: true, IsLoopback: false, [new(IPAddress.Parse("10.10.0.1"), 16)]);

    private static readonly IReadOnlyList<NetworkInterfaceSnapshot> Machine = [Loopback, Eth0, Eth1Down, Wlan0NoIpv4, Tun0NoMulticast, Vlan10];

    [Fact]
    public void Without_configuration_every_up_multicast_capable_non_loopback_IPv4_interface_is_selected()
    {
        var selected = MulticastInterfaceSelector.Select(Machine, []);

        Assert.Equal(
            [new MulticastInterface("eth0", 2, IPAddress.Parse("10.0.0.5"), 24), new MulticastInterface("eth0.10", 6, IPAddress.Parse("10.10.0.1"), 16)],
            selected);
    }

    [Fact]
    public void Without_configuration_a_machine_with_only_loopback_selects_nothing()
    {
        Assert.Empty(MulticastInterfaceSelector.Select([Loopback], []));
    }

    [Fact]
    public void An_interface_name_selects_that_interface_with_its_primary_address()
    {
        var selected = MulticastInterfaceSelector.Select(Machine, ["eth0.10"]);

        Assert.Equal([new MulticastInterface("eth0.10", 6, IPAddress.Parse("10.10.0.1"), 16)], selected);
    }

    [Fact]
    public void A_secondary_address_selects_its_interface_with_that_address()
    {
        var selected = MulticastInterfaceSelector.Select(Machine, ["10.0.1.5"]);

        Assert.Equal([new MulticastInterface("eth0", 2, IPAddress.Parse("10.0.1.5"), 24)], selected);
    }

    [Fact]
    public void Naming_the_same_interface_by_name_and_address_joins_it_once()
    {
        var selected = MulticastInterfaceSelector.Select(Machine, ["eth0", "10.0.1.5", " eth0 "]);

        Assert.Single(selected);
        Assert.Equal("eth0", selected[0].Name);
    }

    [Fact]
    public void An_explicitly_named_interface_is_used_even_without_the_multicast_flag()
    {
        var selected = MulticastInterfaceSelector.Select(Machine, ["lo"]);

        Assert.Equal([new MulticastInterface("lo", 1, IPAddress.Loopback, 8)], selected);
    }

    [Fact]
    public void An_unknown_interface_name_is_an_error_that_names_it_and_lists_the_interfaces_present()
    {
        var error = Assert.Throws<MulticastInterfaceUnavailableException>(() => MulticastInterfaceSelector.Select(Machine, ["eth7"]));

        Assert.Equal("eth7", error.Requested);
        Assert.Contains("Unknown multicast interface 'eth7'", error.Message);
        Assert.Contains("eth0 (#2, up, multicast, 10.0.0.5/24, 10.0.1.5/24)", error.Message);
    }

    [Fact]
    public void Interface_names_are_case_sensitive_as_on_Linux()
    {
        Assert.Throws<MulticastInterfaceUnavailableException>(() => MulticastInterfaceSelector.Select(Machine, ["ETH0"]));
    }

    [Fact]
    public void An_address_no_interface_has_is_an_error_that_names_it()
    {
        var error = Assert.Throws<MulticastInterfaceUnavailableException>(() => MulticastInterfaceSelector.Select(Machine, ["10.9.9.9"]));

        Assert.Contains("'10.9.9.9'", error.Message);
        Assert.Contains("no interface has that address", error.Message);
    }

    [Fact]
    public void A_configured_interface_that_is_down_is_an_error()
    {
        var byName = Assert.Throws<MulticastInterfaceUnavailableException>(() => MulticastInterfaceSelector.Select(Machine, ["eth1"]));
        var byAddress = Assert.Throws<MulticastInterfaceUnavailableException>(() => MulticastInterfaceSelector.Select(Machine, ["192.168.7.2"]));

        Assert.Equal("Multicast interface 'eth1' is down.", byName.Message);
        Assert.Equal("Multicast interface '192.168.7.2' (eth1) is down.", byAddress.Message);
    }

    [Fact]
    public void A_configured_interface_without_IPv4_is_an_error()
    {
        var error = Assert.Throws<MulticastInterfaceUnavailableException>(() => MulticastInterfaceSelector.Select(Machine, ["wlan0"]));

        Assert.Equal("Multicast interface 'wlan0' has no IPv4 address.", error.Message);
    }

    [Fact]
    public void An_IPv6_address_is_rejected()
    {
        var error = Assert.Throws<MulticastInterfaceUnavailableException>(() => MulticastInterfaceSelector.Select(Machine, ["fe80::1"]));

        Assert.Contains("not an IPv4 address", error.Message);
    }

    [Fact]
    public void Selecting_what_is_available_skips_unusable_entries_and_reports_them()
    {
        var selected = MulticastInterfaceSelector.SelectAvailable(Machine, ["eth7", "eth0.10", "eth1"], out var unavailable);

        Assert.Equal([new MulticastInterface("eth0.10", 6, IPAddress.Parse("10.10.0.1"), 16)], selected);
        Assert.Equal(["eth7", "eth1"], unavailable.Select(e => e.Requested));
    }

    [Fact]
    public void The_system_snapshot_describes_loopback_with_its_IPv4_address()
    {
        var lo = NetworkInterfaceSnapshot.FromSystem().Single(n => n.IsLoopback);

        Assert.True(lo.Index > 0);
        Assert.Contains(lo.Ipv4Addresses, a => a.Address.Equals(IPAddress.Loopback) && a.PrefixLength == 8);
    }
}
