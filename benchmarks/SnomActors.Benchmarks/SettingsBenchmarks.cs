using System.Text;
using BenchmarkDotNet.Attributes;
using SnomActors.Http.Settings;

namespace SnomActors.Benchmarks;

/// <summary>Rendering one phone's settings file (issue 4: "render a settings file").</summary>
[MemoryDiagnoser]
public class SettingsBenchmarks
{
    private string _template = null!;
    private TemplateValues _values = null!;

    [GlobalSetup]
    public void Setup()
    {
        // A snom-style settings document of ~4 KB with a dozen placeholders and some phone-side macros.
        var sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<settings>\n<phone-settings e=\"2\">\n");
        sb.Append("<setting_server perm=\"RW\">http://{server}/settings/{mac}.xml</setting_server>\n");
        sb.Append("<user_realname idx=\"1\" perm=\"\">{display_name}</user_realname>\n");
        sb.Append("<user_name idx=\"1\" perm=\"\">{extension}</user_name>\n");
        sb.Append("<user_host idx=\"1\" perm=\"\">{registrar}</user_host>\n");
        sb.Append("<user_pass idx=\"1\" perm=\"\">{password}</user_pass>\n");
        sb.Append("<firmware_status perm=\"\">http://{server}/firmware/{model}-{firmware}.xml?mac={mac}</firmware_status>\n");
        for (var i = 0; i < 60; i++) sb.Append("<fkey idx=\"").Append(i).Append("\" context=\"active\" perm=\"\">line</fkey>\n");
        sb.Append("<phone_name perm=\"\">{vendor}-{mac}</phone_name>\n<ntp_server perm=\"\">{ntp}</ntp_server>\n");
        sb.Append("</phone-settings>\n</settings>\n");
        _template = sb.ToString();
        _values = TemplateValues.For(
            new DeviceTemplateFields("00041329882c", "141.41.40.131", "snom", "snom360", "7.3.14", "snom360-SIP 7.3.14"),
            new Dictionary<string, string>
            {
                ["server"] = "141.41.40.184:8080", ["display_name"] = "R&D <Lab> Phone", ["extension"] = "4711",
                ["registrar"] = "pbx.example.com", ["password"] = "s3cr3t&\"x\"", ["ntp"] = "pool.ntp.org",
            });
    }

    /// <summary>SettingsTemplateRenderer.RenderUtf8: substitution, XML escaping and UTF-8 encoding.</summary>
    [Benchmark]
    public byte[] RenderSettingsFile() => SettingsTemplateRenderer.RenderUtf8(_template, _values);
}
