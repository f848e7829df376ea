using SnomActors.Simulator.Phones;

namespace SnomActors.Simulator.Tests.Phones;

/// <summary><c>snomactors simulate --macs FILE</c>: the import CSV or a plain list, errors by line.</summary>
public sealed class MacListFileTests
{
    [Fact]
    public void The_import_csv_gives_its_mac_column_in_order_normalised_and_without_repeats()
    {
        const string csv = "\uFEFFextension,MAC,display_name\r\n201,00:04:13:AA:BB:01,\"Reception, front\"\r\n202,\"805EC0000002\",Sales\r\n\r\n203,00-04-13-aa-bb-01,Again\r\n";
        Assert.True(MacListFile.TryParse(csv, out var macs, out var error), error);
        Assert.Equal(["000413aabb01", "805ec0000002"], macs);
    }

    [Fact]
    public void A_plain_list_with_comments_and_blank_lines_is_read_one_mac_per_line()
    {
        Assert.True(MacListFile.TryParse("# lab phones\n000413000001\n\n0c38.3e00.0002\n", out var macs, out var error), error);
        Assert.Equal(["000413000001", "0c383e000002"], macs);
    }

    [Theory]
    [InlineData("mac,ext\n000413000001,1\nnot-a-mac,2\n", "line 3: 'not-a-mac' is not a MAC address")]
    [InlineData("000413000001\n00041300000g\n", "line 2: '00041300000g' is not a MAC address")]
    [InlineData("extension,name\n201,Reception\n", "line 1: 'extension' is neither a MAC address nor a CSV header with a 'mac' column")]
    [InlineData("ext,mac\n201\n", "line 2: no value in the mac column")]
    [InlineData("mac\n\n# nothing\n", "no MAC address in the file")]
    [InlineData("", "no MAC address in the file")]
    public void A_bad_file_is_refused_naming_the_line(string text, string expected)
    {
        Assert.False(MacListFile.TryParse(text, out _, out var error));
        Assert.Equal(expected, error);
    }
}
