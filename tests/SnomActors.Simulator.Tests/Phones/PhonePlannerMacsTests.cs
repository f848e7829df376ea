using SnomActors.Simulator.Phones;
using SnomActors.Simulator.Profiles;

namespace SnomActors.Simulator.Tests.Phones;

/// <summary>
/// The simulated boot of imported phones (POST /api/simulations): each listed MAC boots as the
/// vendor its OUI belongs to, so a Yealink account imported by the operator sends a Yealink SUBSCRIBE.
/// </summary>
public sealed class PhonePlannerMacsTests
{
    [Fact]
    public void Each_mac_boots_in_list_order_as_the_vendor_of_its_oui()
    {
        string[] macs = ["000413000001", "805ec0000002", "000b82000003", "7c2f80000004", "0c383e000005", "0080f0000006"];
        var phones = PhonePlanner.PlanMacs(macs, VendorMix.Parse("snom"), seed: 3);
        Assert.Equal(macs, phones.Select(p => p.Mac));
        Assert.Equal(Enumerable.Range(0, macs.Length), phones.Select(p => p.Index));
        Assert.Equal(["snom", "yealink", "grandstream", "gigaset", "fanvil", "panasonic"], phones.Select(p => p.Profile.Vendor));
    }

    [Fact]
    public void Macs_with_an_unknown_oui_follow_the_given_mix_and_models_rotate_per_vendor()
    {
        string[] macs = ["aabbcc000001", "aabbcc000002", "000413000003", "aabbcc000004", "000413000005"];
        var phones = PhonePlanner.PlanMacs(macs, VendorMix.Parse("yealink,fanvil"), seed: 3);
        Assert.Equal(["yealink", "fanvil", "snom", "yealink", "snom"], phones.Select(p => p.Profile.Vendor));
        Assert.Equal(PhoneProfiles.Snom.Models[0], phones[2].Model);
        Assert.Equal(PhoneProfiles.Snom.Models[1], phones[4].Model);
        Assert.Equal(PhoneProfiles.Yealink.Models[1], phones[3].Model);
    }

    [Fact]
    public void The_same_seed_gives_the_same_call_ids_and_tags_and_different_phones_get_different_ones()
    {
        string[] macs = ["000413000001", "000413000002"];
        var a = PhonePlanner.PlanMacs(macs, VendorMix.All, seed: 9);
        var b = PhonePlanner.PlanMacs(macs, VendorMix.All, seed: 9);
        Assert.Equal(a.Select(p => (p.CallIdLocalPart, p.FromTag, p.BranchSuffix)), b.Select(p => (p.CallIdLocalPart, p.FromTag, p.BranchSuffix)));
        Assert.NotEqual(a[0].CallIdLocalPart, a[1].CallIdLocalPart);
    }

    [Theory]
    [InlineData("00:04:13:00:00:01")]
    [InlineData("000413ABCDEF")]
    [InlineData("00041300001")]
    public void A_mac_that_is_not_normalised_is_refused_by_name(string mac)
    {
        var error = Assert.Throws<ArgumentException>(() => PhonePlanner.PlanMacs([mac], VendorMix.All, 1));
        Assert.Contains(mac, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mac_listed_twice_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => PhonePlanner.PlanMacs(["000413000001", "000413000001"], VendorMix.All, 1));
        Assert.Contains("000413000001", error.Message, StringComparison.Ordinal);
    }
}
