using System.Security.Cryptography;

namespace SnomActors.Sip.Tests.Corpus;

public sealed class Rfc4475CorpusTests
{
    private static readonly string[] KnownExpectations = ["200", "400", "405", "416", "420", "501", "505", "drop"];

    [Fact]
    public void Every_manifest_row_has_a_file_and_every_file_has_a_row()
    {
        var rows = Rfc4475Corpus.ReadManifest();
        var named = rows.Select(r => r[0] + ".dat").ToHashSet(StringComparer.Ordinal);
        var files = Directory.EnumerateFiles(Rfc4475Corpus.DataDirectory, "*.dat")
            .Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);

        Assert.Equal(rows.Count, named.Count);
        Assert.Empty(named.Except(files));
        Assert.Empty(files.Except(named));
    }

    [Fact]
    public void The_manifest_covers_all_49_messages_of_rfc_4475_section_3_with_well_formed_rows()
    {
        var messages = Rfc4475Corpus.Load();
        Assert.Equal(49, messages.Count);
        Assert.All(messages, m =>
        {
            Assert.Matches(@"^3\.\d+(\.\d+)*$", m.Section);
            Assert.Contains(m.Kind, new[] { "request", "response" });
            Assert.Contains(m.Expected, KnownExpectations);
            Assert.NotEmpty(m.Bytes);
            // A response is never answered, so "drop" is the only sensible expectation for one.
            Assert.Equal(m.Kind == "response", m.Expected == "drop");
        });
    }

    [Fact]
    public void File_bytes_match_the_recorded_sha256_so_no_line_ending_conversion_happened()
    {
        var sums = File.ReadAllLines(Path.Combine(Rfc4475Corpus.DataDirectory, "SHA256SUMS"))
            .Where(l => l.Length > 0)
            .Select(l => l.Split("  ", 2))
            .ToDictionary(p => p[1], p => p[0], StringComparer.Ordinal);

        foreach (var message in Rfc4475Corpus.Load())
        {
            var actual = Convert.ToHexStringLower(SHA256.HashData(message.Bytes));
            Assert.True(sums.TryGetValue(message.Name + ".dat", out var expected), message.Name);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Binary_messages_keep_their_control_octets()
    {
        // intmeth carries NUL/BEL/DEL inside a quoted string and mpart01 a DER blob with NULs;
        // a text round trip would have mangled both.
        Assert.Contains((byte)0x00, Rfc4475Corpus.Get("intmeth").Bytes);
        Assert.Contains((byte)0x07, Rfc4475Corpus.Get("intmeth").Bytes);
        var mpart = Rfc4475Corpus.Get("mpart01").Bytes;
        Assert.Contains((byte)0x00, mpart);
        var bodyStart = mpart.AsSpan().IndexOf("\r\n\r\n"u8) + 4;
        Assert.Equal(553, mpart.Length - bodyStart);
    }
}
