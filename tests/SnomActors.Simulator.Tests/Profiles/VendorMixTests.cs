using SnomActors.Simulator.Profiles;

namespace SnomActors.Simulator.Tests.Profiles;

public sealed class VendorMixTests
{
    [Fact]
    public void A_weighted_mix_assigns_vendors_in_exact_proportion_and_interleaved()
    {
        var mix = VendorMix.Parse("snom=50,yealink=30,grandstream=20");
        var assigned = mix.Assign(100);
        Assert.Equal(50, assigned.Count(p => p == PhoneProfiles.Snom));
        Assert.Equal(30, assigned.Count(p => p == PhoneProfiles.Yealink));
        Assert.Equal(20, assigned.Count(p => p == PhoneProfiles.Grandstream));
        // Interleaved: the first ten phones already hold every vendor.
        Assert.Equal(3, assigned.Take(10).Distinct().Count());
    }

    [Theory]
    [InlineData("all", 6)]
    [InlineData("ALL", 6)]
    [InlineData("snom", 1)]
    [InlineData("snom, Yealink", 2)]
    [InlineData("snom=1,fanvil=0,gigaset=3", 2)]
    public void Valid_mixes_parse(string text, int vendors)
    {
        Assert.True(VendorMix.TryParse(text, out var mix, out var error), error);
        Assert.Equal(vendors, mix.Shares.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("cisco=10")]
    [InlineData("snom=-1")]
    [InlineData("snom=x")]
    [InlineData("snom=0")]
    [InlineData("snom,snom")]
    public void Invalid_mixes_are_refused_with_a_reason(string text)
    {
        Assert.False(VendorMix.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
    }
}
