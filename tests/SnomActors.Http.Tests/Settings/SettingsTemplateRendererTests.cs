using SnomActors.Http.Settings;

namespace SnomActors.Http.Tests.Settings;

public sealed class SettingsTemplateRendererTests
{
    private static TemplateValues Values(params (string Name, string Value)[] values) =>
        new(values.Select(v => new KeyValuePair<string, string>(v.Name, v.Value)));

    [Fact]
    public void Substitutes_known_placeholders_case_insensitively()
    {
        var result = SettingsTemplateRenderer.Render("<user>{Extension}</user><m>{MAC}</m>", Values(("extension", "201"), ("mac", "000413aabbcc")));
        Assert.Equal("<user>201</user><m>000413aabbcc</m>", result);
    }

    [Fact]
    public void Escapes_the_five_xml_special_characters_in_values()
    {
        var result = SettingsTemplateRenderer.Render("<name>{display}</name>", Values(("display", "R&D <3> \"x\" 'y'")));
        Assert.Equal("<name>R&amp;D &lt;3&gt; &quot;x&quot; &apos;y&apos;</name>", result);
    }

    [Theory]
    [InlineData("{unknown}")]
    [InlineData("{ spaced }")]
    [InlineData("{}")]
    [InlineData("{{mac}")]
    [InlineData("text { not closed")]
    [InlineData("{9starts_with_digit}")]
    public void Leaves_unknown_or_malformed_placeholders_verbatim(string template)
    {
        var expected = template.Replace("{mac}", "000413aabbcc");
        Assert.Equal(expected, SettingsTemplateRenderer.Render(template, Values(("mac", "000413aabbcc"))));
    }

    [Fact]
    public void Does_not_substitute_inside_a_substituted_value()
    {
        var result = SettingsTemplateRenderer.Render("{a}", Values(("a", "{b}"), ("b", "nope")));
        Assert.Equal("{b}", result);
    }

    [Fact]
    public void Returns_the_same_string_when_there_is_no_brace()
    {
        const string template = "<settings><phone-settings/></settings>";
        Assert.Same(template, SettingsTemplateRenderer.Render(template, Values(("mac", "x"))));
    }

    [Fact]
    public void Device_fields_win_over_variables_of_the_same_name()
    {
        var values = TemplateValues.For(
            new DeviceTemplateFields("000413aabbcc", Ip: "10.0.0.7", Vendor: "snom", Model: "snom360", Firmware: "8.7.5", UserAgent: "snom360/8.7.5"),
            new Dictionary<string, string> { ["MAC"] = "ffffffffffff", ["extension"] = "42" });
        var result = SettingsTemplateRenderer.Render("{mac}|{ip}|{vendor}|{model}|{firmware}|{user_agent}|{extension}", values);
        Assert.Equal("000413aabbcc|10.0.0.7|snom|snom360|8.7.5|snom360/8.7.5|42", result);
    }

    [Fact]
    public void Missing_device_fields_leave_their_placeholders()
    {
        var values = TemplateValues.For(new DeviceTemplateFields("000413aabbcc"), null);
        Assert.Equal("{model} 000413aabbcc", SettingsTemplateRenderer.Render("{model} {mac}", values));
    }
}
