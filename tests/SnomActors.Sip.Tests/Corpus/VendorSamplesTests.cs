using System.Text;
using System.Text.RegularExpressions;

namespace SnomActors.Sip.Tests.Corpus;

public sealed class VendorSamplesTests
{
    private static readonly string[] VendorKeys = ["snom", "yealink", "grandstream", "gigaset", "fanvil", "panasonic", "audiocodes"];

    [Fact]
    public void Every_sample_file_is_in_the_manifest_and_every_vendor_key_is_covered()
    {
        var samples = VendorSamples.Load();
        var files = Directory.EnumerateFiles(VendorSamples.DataDirectory, "*.sip").Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        Assert.Equal(files, samples.Select(s => s.File).ToHashSet(StringComparer.Ordinal));
        Assert.Equal(VendorKeys.ToHashSet(), samples.Select(s => s.Vendor).ToHashSet());
    }

    [Fact]
    public void Every_sample_is_a_crlf_framed_ua_profile_subscribe_with_an_exact_content_length()
    {
        foreach (var sample in VendorSamples.Load())
        {
            var text = Encoding.Latin1.GetString(sample.Bytes);
            Assert.StartsWith("SUBSCRIBE sip:", text, StringComparison.Ordinal);
            Assert.DoesNotMatch(new Regex("(?<!\r)\n"), text);
            var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            Assert.True(split > 0, sample.File);
            var length = Regex.Match(text[..split], @"\r\nContent-Length:\s*(\d+)").Groups[1].Value;
            Assert.Equal((sample.Bytes.Length - split - 4).ToString(System.Globalization.CultureInfo.InvariantCulture), length);
            Assert.Matches(new Regex(@"\r\nEvent: ?ua-profile;"), text);
            Assert.Matches(new Regex("^([0-9a-f]{12})?$"), sample.Mac);
            if (sample.Mac.Length > 0)
            {
                // The expected MAC really is in the request line, in whatever case/prefix the vendor uses.
                var requestLine = text[..text.IndexOf("\r\n", StringComparison.Ordinal)];
                Assert.Contains(sample.Mac, requestLine.ToLowerInvariant(), StringComparison.Ordinal);
            }
        }
    }
}
