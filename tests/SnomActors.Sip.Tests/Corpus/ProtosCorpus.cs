using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace SnomActors.Sip.Tests.Corpus;

/// <summary>One PROTOS c07-sip case with its placeholders filled (see TestData/README.md).</summary>
/// <param name="Number">Case number (0 is the only valid case).</param>
/// <param name="Group">Name of the element the case attacks, from groups.csv (e.g. <c>sip-via-host</c>).</param>
/// <param name="Request">The INVITE datagram, bytes exactly as the suite sends them.</param>
/// <param name="Teardown">The CANCEL the suite sends after the INVITE.</param>
internal sealed record ProtosCase(int Number, string Group, byte[] Request, byte[] Teardown)
{
    /// <inheritdoc />
    public override string ToString() => $"PROTOS #{Number} ({Group}, {Request.Length} bytes)";
}

/// <summary>Reads TestData/protos-c07-sip.bin.gz (framing documented in TestData/README.md).</summary>
internal static class ProtosCorpus
{
    /// <summary>Number of cases in the suite.</summary>
    public const int CaseCount = 4527;

    private static readonly byte[] Magic = "PROTOSC7"u8.ToArray();

    /// <summary>Folder holding the corpus files in the test output directory.</summary>
    public static string DataDirectory => Path.Combine(AppContext.BaseDirectory, "TestData");

    /// <summary>Group names in groups.csv order (the framing stores the row index).</summary>
    public static IReadOnlyList<(string Group, int FirstCase, int CaseCount)> Groups()
    {
        var lines = File.ReadAllLines(Path.Combine(DataDirectory, "groups.csv"), Encoding.ASCII);
        var groups = new List<(string, int, int)>();
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var cells = line.Split(',');
            groups.Add((cells[0], int.Parse(cells[1], System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(cells[2], System.Globalization.CultureInfo.InvariantCulture)));
        }

        return groups;
    }

    /// <summary>All cases in case-number order. Streams: the decompressed file is ~37 MB.</summary>
    public static IEnumerable<ProtosCase> Load()
    {
        var groups = Groups();
        using var file = File.OpenRead(Path.Combine(DataDirectory, "protos-c07-sip.bin.gz"));
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var input = new BufferedStream(gzip, 1 << 16);

        var magic = ReadExactly(input, Magic.Length);
        if (!magic.AsSpan().SequenceEqual(Magic))
        {
            throw new InvalidDataException("protos-c07-sip.bin.gz: bad magic");
        }

        var version = ReadInt32(input);
        if (version != 1)
        {
            throw new InvalidDataException($"protos-c07-sip.bin.gz: unsupported version {version}");
        }

        var count = ReadInt32(input);
        for (var i = 0; i < count; i++)
        {
            var number = ReadInt32(input);
            var group = ReadInt32(input);
            var request = ReadExactly(input, ReadInt32(input));
            var teardown = ReadExactly(input, ReadInt32(input));
            yield return new ProtosCase(number, groups[group].Group, request, teardown);
        }

        if (input.ReadByte() != -1)
        {
            throw new InvalidDataException("protos-c07-sip.bin.gz: trailing bytes after the last case");
        }
    }

    private static int ReadInt32(Stream input) => BinaryPrimitives.ReadInt32LittleEndian(ReadExactly(input, 4));

    private static byte[] ReadExactly(Stream input, int length)
    {
        if (length < 0 || length > 16 * 1024 * 1024)
        {
            throw new InvalidDataException($"protos-c07-sip.bin.gz: implausible length {length}");
        }

        var buffer = new byte[length];
        input.ReadExactly(buffer);
        return buffer;
    }
}
