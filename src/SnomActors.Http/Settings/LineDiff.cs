namespace SnomActors.Http.Settings;

/// <summary>One line of a diff: <c>" "</c> unchanged, <c>"-"</c> only in the old text, <c>"+"</c> only in the new.</summary>
public sealed record DiffLine(string Op, string Text)
{
    /// <summary>Unchanged.</summary>
    public const string Same = " ";
    /// <summary>Removed.</summary>
    public const string Removed = "-";
    /// <summary>Added.</summary>
    public const string Added = "+";
}

/// <summary>
/// Line diff between two versions of a settings document (Myers' O(ND) algorithm). Common head
/// and tail are trimmed first, so the usual edit — a few changed lines in a long file — costs
/// almost nothing; a pathological pair whose edit script would need too much memory falls back to
/// "all old lines removed, all new added" for the differing middle.
/// </summary>
public static class LineDiff
{
    /// <summary>Bound on D·(N+M) cells of trace kept for the backtrack (~64 MB of ints).</summary>
    private const long MaxTraceCells = 16_000_000;

    /// <summary>Splits on LF, CRLF or CR; a trailing newline does not make an extra empty line.</summary>
    public static string[] SplitLines(string text)
    {
        if (text.Length == 0) return [];
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        return lines[^1].Length == 0 ? lines[..^1] : lines;
    }

    /// <summary>Diffs two texts line by line.</summary>
    public static IReadOnlyList<DiffLine> Compute(string oldText, string newText) =>
        Compute(SplitLines(oldText), SplitLines(newText));

    /// <summary>Diffs two line arrays.</summary>
    public static IReadOnlyList<DiffLine> Compute(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var result = new List<DiffLine>(Math.Max(a.Count, b.Count) + 8);
        var head = 0;
        while (head < a.Count && head < b.Count && a[head] == b[head]) head++;
        var tail = 0;
        while (tail < a.Count - head && tail < b.Count - head && a[a.Count - 1 - tail] == b[b.Count - 1 - tail]) tail++;

        for (var i = 0; i < head; i++) result.Add(new DiffLine(DiffLine.Same, a[i]));
        Middle(a, head, a.Count - tail, b, head, b.Count - tail, result);
        for (var i = a.Count - tail; i < a.Count; i++) result.Add(new DiffLine(DiffLine.Same, a[i]));
        return result;
    }

    private static void Middle(IReadOnlyList<string> a, int aStart, int aEnd, IReadOnlyList<string> b, int bStart, int bEnd, List<DiffLine> output)
    {
        var n = aEnd - aStart;
        var m = bEnd - bStart;
        if (n == 0 && m == 0) return;
        if (n == 0 || m == 0)
        {
            AllReplaced(a, aStart, aEnd, b, bStart, bEnd, output);
            return;
        }

        var max = n + m;
        var offset = max;
        var v = new int[2 * max + 2];
        var trace = new List<int[]>();
        var found = false;
        for (var d = 0; d <= max && !found; d++)
        {
            if ((long)(d + 1) * v.Length > MaxTraceCells)
            {
                AllReplaced(a, aStart, aEnd, b, bStart, bEnd, output);
                return;
            }
            trace.Add((int[])v.Clone());
            for (var k = -d; k <= d; k += 2)
            {
                int x;
                if (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) x = v[offset + k + 1];
                else x = v[offset + k - 1] + 1;
                var y = x - k;
                while (x < n && y < m && a[aStart + x] == b[bStart + y]) { x++; y++; }
                v[offset + k] = x;
                if (x >= n && y >= m) { found = true; break; }
            }
        }

        // Backtrack through the saved V arrays from (n, m) to (0, 0), collecting the script in reverse.
        var script = new List<DiffLine>(n + m);
        int cx = n, cy = m;
        for (var d = trace.Count - 1; d >= 0; d--)
        {
            var vd = trace[d];
            var k = cx - cy;
            int prevK;
            if (k == -d || (k != d && vd[offset + k - 1] < vd[offset + k + 1])) prevK = k + 1;
            else prevK = k - 1;
            var prevX = d == 0 ? 0 : vd[offset + prevK];
            var prevY = prevX - prevK;
            while (cx > prevX && cy > prevY)
            {
                script.Add(new DiffLine(DiffLine.Same, a[aStart + cx - 1]));
                cx--; cy--;
            }
            if (d > 0)
            {
                if (cx == prevX) script.Add(new DiffLine(DiffLine.Added, b[bStart + cy - 1]));
                else script.Add(new DiffLine(DiffLine.Removed, a[aStart + cx - 1]));
            }
            cx = prevX; cy = prevY;
        }
        script.Reverse();
        output.AddRange(script);
    }

    private static void AllReplaced(IReadOnlyList<string> a, int aStart, int aEnd, IReadOnlyList<string> b, int bStart, int bEnd, List<DiffLine> output)
    {
        for (var i = aStart; i < aEnd; i++) output.Add(new DiffLine(DiffLine.Removed, a[i]));
        for (var j = bStart; j < bEnd; j++) output.Add(new DiffLine(DiffLine.Added, b[j]));
    }
}
