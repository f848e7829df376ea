using System.Text;

namespace SnomActors.Sip.Tests.Corpus;

/// <summary>One RFC 4475 torture message with its manifest row (TestData/rfc4475/manifest.csv).</summary>
/// <param name="Name">Archive file name without <c>.dat</c> (e.g. <c>wsinv</c>).</param>
/// <param name="Section">RFC 4475 section (e.g. <c>3.1.1.1</c>).</param>
/// <param name="Kind"><c>request</c> or <c>response</c>.</param>
/// <param name="Valid">Whether the message is well-formed per RFC 3261.</param>
/// <param name="Expected">What a UAS that implements only SUBSCRIBE/NOTIFY/OPTIONS does with it on the unicast path:
/// a status code (<c>200</c>, <c>400</c>, <c>405</c>, <c>416</c>, <c>420</c>, <c>501</c>, <c>505</c>) or <c>drop</c> (responses: parse if possible, never answer).</param>
/// <param name="Note">What the message exercises and where its bytes come from.</param>
/// <param name="Bytes">The datagram, byte for byte.</param>
internal sealed record Rfc4475Message(string Name, string Section, string Kind, bool Valid, string Expected, string Note, byte[] Bytes)
{
    /// <summary>True for a status-code expectation, false for <c>drop</c>.</summary>
    public bool ExpectsResponse => int.TryParse(Expected, out _);

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Section}, expect {Expected})";
}

/// <summary>Reads TestData/rfc4475 (see its README.md).</summary>
internal static class Rfc4475Corpus
{
    /// <summary>Folder holding the <c>.dat</c> files, manifest.csv and SHA256SUMS.</summary>
    public static string DataDirectory => Path.Combine(AppContext.BaseDirectory, "TestData", "rfc4475");

    /// <summary>All manifest rows with their bytes, in manifest order.</summary>
    public static IReadOnlyList<Rfc4475Message> Load() =>
        ReadManifest()
            .Select(r => new Rfc4475Message(r[0], r[1], r[2], r[3] == "yes", r[4], r[5],
                File.ReadAllBytes(Path.Combine(DataDirectory, r[0] + ".dat"))))
            .ToList();

    /// <summary>One message by name.</summary>
    public static Rfc4475Message Get(string name) => Load().Single(m => m.Name == name);

    /// <summary>Manifest rows (header skipped), each split into its six cells.</summary>
    public static IReadOnlyList<string[]> ReadManifest()
    {
        var rows = ParseCsv(File.ReadAllText(Path.Combine(DataDirectory, "manifest.csv"), Encoding.UTF8));
        return rows.Skip(1).Where(r => r.Length > 1 || r[0].Length > 0).ToList();
    }

    /// <summary>Minimal RFC 4180 reader: notes contain commas and quotes, so cells may be quoted.</summary>
    internal static List<string[]> ParseCsv(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(cell.ToString());
                cell.Clear();
            }
            else if (c == '\n')
            {
                row.Add(cell.ToString().TrimEnd('\r'));
                cell.Clear();
                rows.Add(row.ToArray());
                row.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        if (cell.Length > 0 || row.Count > 0)
        {
            row.Add(cell.ToString());
            rows.Add(row.ToArray());
        }

        return rows;
    }
}
