using System.Text;

namespace SnomActors.Sip.Tests.Corpus;

public sealed class ProtosCorpusTests
{
    private static readonly string[] Placeholders =
    [
        "<To>", "<From>", "<From-Address>", "<From-IP>", "<Local-Port>", "<Branch-ID>", "<Call-ID>",
        "<CSeq>", "<Content-Length>", "<Teardown-Method>",
    ];

    private static readonly IReadOnlyList<ProtosCase> Cases = ProtosCorpus.Load().ToList();

    [Fact]
    public void The_corpus_loads_all_4527_cases_in_order()
    {
        Assert.Equal(ProtosCorpus.CaseCount, Cases.Count);
        Assert.Equal(Enumerable.Range(0, ProtosCorpus.CaseCount), Cases.Select(c => c.Number));
    }

    [Fact]
    public void Case_zero_is_the_valid_invite_with_a_correct_content_length()
    {
        var valid = Cases[0];
        Assert.Equal("valid", valid.Group);
        var text = Encoding.Latin1.GetString(valid.Request);
        Assert.StartsWith("INVITE sip:snomactors@127.0.0.1 SIP/2.0\r\n", text, StringComparison.Ordinal);
        var bodyStart = text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        Assert.Contains($"\r\nContent-Length: {valid.Request.Length - bodyStart}\r\n", text, StringComparison.Ordinal);
        Assert.StartsWith("CANCEL sip:snomactors@127.0.0.1 SIP/2.0\r\n", Encoding.Latin1.GetString(valid.Teardown), StringComparison.Ordinal);
    }

    [Fact]
    public void No_case_still_contains_a_placeholder()
    {
        // Latin-1 maps every byte to one char, so an ASCII search cannot be fooled by decoding.
        var leftovers = Cases
            .SelectMany(c => new[] { (c, Encoding.Latin1.GetString(c.Request)), (c, Encoding.Latin1.GetString(c.Teardown)) })
            .SelectMany(x => Placeholders.Where(p => x.Item2.Contains(p, StringComparison.Ordinal)).Select(p => $"{x.c.Number}: {p}"))
            .ToList();
        Assert.Empty(leftovers);
    }

    [Fact]
    public void Group_counts_match_groups_csv()
    {
        var expected = ProtosCorpus.Groups();
        var actual = Cases.GroupBy(c => c.Group).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (group, first, count) in expected)
        {
            Assert.Equal(count, actual[group]);
            Assert.All(Cases.Skip(first).Take(count), c => Assert.Equal(group, c.Group));
        }

        Assert.Equal(ProtosCorpus.CaseCount, expected.Sum(g => g.CaseCount));
    }
}
