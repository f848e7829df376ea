using SnomActors.Http.Settings;

namespace SnomActors.Http.Tests.Settings;

public sealed class LineDiffTests
{
    private static string Render(IEnumerable<DiffLine> lines) => string.Join("|", lines.Select(l => l.Op + l.Text));

    [Fact]
    public void Identical_texts_have_only_unchanged_lines()
    {
        Assert.Equal(" a| b", Render(LineDiff.Compute("a\nb\n", "a\r\nb")));
    }

    [Fact]
    public void A_changed_line_is_a_removal_followed_by_an_addition()
    {
        Assert.Equal(" a|-b|+B| c", Render(LineDiff.Compute("a\nb\nc", "a\nB\nc")));
    }

    [Fact]
    public void Insertions_and_deletions_in_the_middle_keep_the_common_lines()
    {
        var diff = LineDiff.Compute("a\nb\nc\nd\ne\nf", "a\nc\nd\nx\ne\nf\ng");
        Assert.Equal(" a|-b| c| d|+x| e| f|+g", Render(diff));
    }

    [Fact]
    public void Diff_from_or_to_empty_is_all_additions_or_all_removals()
    {
        Assert.Equal("+a|+b", Render(LineDiff.Compute("", "a\nb")));
        Assert.Equal("-a|-b", Render(LineDiff.Compute("a\nb", "")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Applying_the_diff_reproduces_both_texts_and_is_minimal_for_random_edits(int seed)
    {
        var random = new Random(seed);
        var a = Enumerable.Range(0, 200).Select(_ => random.Next(20).ToString()).ToArray();
        var b = a.Where(_ => random.Next(10) != 0).SelectMany(x => random.Next(10) == 0 ? new[] { x, "new" } : [x]).ToArray();
        var diff = LineDiff.Compute(a, b);
        Assert.Equal(a, diff.Where(l => l.Op != DiffLine.Added).Select(l => l.Text));
        Assert.Equal(b, diff.Where(l => l.Op != DiffLine.Removed).Select(l => l.Text));
        var unchanged = diff.Count(l => l.Op == DiffLine.Same);
        Assert.Equal(Lcs(a, b), unchanged);
    }

    [Fact]
    public void Large_completely_different_texts_still_produce_a_correct_diff()
    {
        var a = Enumerable.Range(0, 6000).Select(i => "a" + i).ToArray();
        var b = Enumerable.Range(0, 6000).Select(i => "b" + i).ToArray();
        var diff = LineDiff.Compute(a, b);
        Assert.Equal(a, diff.Where(l => l.Op != DiffLine.Added).Select(l => l.Text));
        Assert.Equal(b, diff.Where(l => l.Op != DiffLine.Removed).Select(l => l.Text));
    }

    private static int Lcs(string[] a, string[] b)
    {
        var t = new int[a.Length + 1, b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
                t[i, j] = a[i - 1] == b[j - 1] ? t[i - 1, j - 1] + 1 : Math.Max(t[i - 1, j], t[i, j - 1]);
        return t[a.Length, b.Length];
    }
}
