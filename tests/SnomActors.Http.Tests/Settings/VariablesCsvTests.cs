using SnomActors.Http.Settings;

namespace SnomActors.Http.Tests.Settings;

public sealed class VariablesCsvTests
{
    [Fact]
    public void Accepts_rows_and_normalises_mac_variants()
    {
        var result = VariablesCsv.Parse("mac,extension,display_name\r\n00:04:13:AA:BB:CC,201,Alice\r\n00-04-13-aa-bb-cd,202,Bob\r\n0004.13aa.bbce,203,Carol\r\n");
        Assert.Null(result.HeaderError);
        Assert.Equal(["extension", "display_name"], result.Variables);
        Assert.Equal(["000413aabbcc", "000413aabbcd", "000413aabbce"], result.Accepted.Select(a => a.Mac));
        Assert.Equal("Bob", result.Accepted[1].Variables["DISPLAY_NAME"]);
        Assert.All(result.Rows, r => Assert.Equal(CsvRowReport.Accepted, r.Status));
        Assert.Equal([2, 3, 4], result.Rows.Select(r => r.Line));
    }

    [Fact]
    public void Reports_each_bad_row_with_its_line_and_reason()
    {
        const string csv = "mac,extension\n" +
            "000413aabbcc,201\n" +    // line 2 ok
            "000413aabbcc,202\n" +    // line 3 duplicate
            "00:04:13:aa:bb,203\n" +  // line 4 too few digits
            "00:04:13:aa:bb:zz,204\n" + // line 5 bad char
            "000413aabbcd,205,extra\n" + // line 6 too many columns
            "000413aabbce\n" +        // line 7 too few columns
            ",206\n" +                // line 8 empty MAC
            "000000000000,207\n" +    // line 9 all zero
            "000413aabbcf,\"unterminated\n";  // line 10 open quote
        var result = VariablesCsv.Parse(csv);
        Assert.Null(result.HeaderError);
        Assert.Equal(1, result.AcceptedCount);
        Assert.Equal(8, result.RejectedCount);
        var byLine = result.Rows.ToDictionary(r => r.Line);
        Assert.Contains("line 2", byLine[3].Error);
        Assert.Contains("10 hex digits", byLine[4].Error);
        Assert.Contains("'z'", byLine[5].Error);
        Assert.Contains("Too many columns", byLine[6].Error);
        Assert.Contains("Too few columns", byLine[7].Error);
        Assert.Contains("empty", byLine[8].Error);
        Assert.Contains("all-zero", byLine[9].Error);
        Assert.Contains("never closed", byLine[10].Error);
        Assert.Equal("00:04:13:aa:bb", byLine[4].Mac);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("extension,mac\n", "first column must be 'mac'")]
    [InlineData("mac,,x\n", "empty variable name")]
    [InlineData("mac,a,A\n", "appears twice")]
    [InlineData("mac,a b\n", "not a variable name")]
    [InlineData("mac,MAC\n", "cannot be a variable")]
    public void Rejects_an_unusable_header_as_a_whole(string csv, string expected)
    {
        var result = VariablesCsv.Parse(csv);
        Assert.NotNull(result.HeaderError);
        Assert.Contains(expected, result.HeaderError);
        Assert.Empty(result.Accepted);
    }

    [Fact]
    public void Reads_quoted_fields_with_commas_quotes_and_newlines_and_counts_lines_physically()
    {
        var result = VariablesCsv.Parse("\uFEFFmac,name,note\n000413aabbcc,\"Smith, \"\"J\"\"\",\"two\r\nlines\"\n000413aabbcd,x,y\n");
        Assert.Equal(2, result.AcceptedCount);
        Assert.Equal("Smith, \"J\"", result.Accepted[0].Variables["name"]);
        Assert.Equal("two\r\nlines", result.Accepted[0].Variables["note"]);
        Assert.Equal([2, 4], result.Rows.Select(r => r.Line));
    }

    [Fact]
    public void Export_then_import_round_trips_every_value()
    {
        var devices = new[]
        {
            new CsvDeviceVariables("000413aabbcd", new Dictionary<string, string> { ["name"] = "O'Brien, \"Pat\"", ["ext"] = "202" }),
            new CsvDeviceVariables("000413aabbcc", new Dictionary<string, string> { ["ext"] = "201", ["note"] = "line1\nline2", ["pad"] = " x " }),
        };
        var csv = VariablesCsv.Export(devices);
        Assert.StartsWith("mac,ext,name,note,pad\r\n000413aabbcc,201,,", csv);
        var back = VariablesCsv.Parse(csv);
        Assert.Equal(2, back.AcceptedCount);
        Assert.Equal("O'Brien, \"Pat\"", back.Accepted[1].Variables["name"]);
        Assert.Equal("line1\nline2", back.Accepted[0].Variables["note"]);
        Assert.Equal(" x ", back.Accepted[0].Variables["pad"]);
        Assert.Equal(csv, VariablesCsv.Export(back.Accepted.Select(a =>
            new CsvDeviceVariables(a.Mac, a.Variables.Where(kv => kv.Value.Length > 0).ToDictionary()))));
    }
}
