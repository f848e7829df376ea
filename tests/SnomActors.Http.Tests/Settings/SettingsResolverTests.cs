using SnomActors.Http.Settings;

namespace SnomActors.Http.Tests.Settings;

public sealed class SettingsResolverTests
{
    private static Func<SettingsLevel, string, string?> Lookup(params (SettingsLevel Level, string Key)[] present) =>
        (level, key) => present.Contains((level, key)) ? $"{level}:{key}" : null;

    [Fact]
    public void Prefers_the_per_mac_document_over_all_others()
    {
        var r = SettingsResolver.Resolve("000413aabbcc", "snom360", "snom",
            Lookup((SettingsLevel.Mac, "000413aabbcc"), (SettingsLevel.Model, "snom360"), (SettingsLevel.Vendor, "snom"), (SettingsLevel.General, "")));
        Assert.Equal(SettingsLevel.Mac, r!.Level);
        Assert.Equal("Mac:000413aabbcc", r.Document);
    }

    [Fact]
    public void Falls_back_to_model_then_vendor_then_general()
    {
        var all = new[] { (SettingsLevel.Model, "snom360"), (SettingsLevel.Vendor, "snom"), (SettingsLevel.General, "") };
        Assert.Equal(SettingsLevel.Model, SettingsResolver.Resolve("000413aabbcc", "snom360", "snom", Lookup(all))!.Level);
        Assert.Equal(SettingsLevel.Vendor, SettingsResolver.Resolve("000413aabbcc", "snom370", "snom", Lookup(all))!.Level);
        Assert.Equal(SettingsLevel.General, SettingsResolver.Resolve("000413aabbcc", "t46", "yealink", Lookup(all))!.Level);
    }

    [Fact]
    public void Matches_model_and_vendor_ignoring_case()
    {
        var r = SettingsResolver.Resolve("000413aabbcc", "SNOM360", "Snom", Lookup((SettingsLevel.Model, "snom360")));
        Assert.Equal(("snom360", SettingsLevel.Model), (r!.Key, r.Level));
    }

    [Fact]
    public void Skips_levels_the_phone_has_no_key_for_and_returns_null_when_nothing_matches()
    {
        var asked = new List<SettingsLevel>();
        var r = SettingsResolver.Resolve<string>("000413aabbcc", null, null, (level, _) => { asked.Add(level); return null; });
        Assert.Null(r);
        Assert.Equal([SettingsLevel.Mac, SettingsLevel.General], asked);
    }
}
