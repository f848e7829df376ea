namespace SnomActors.Sip.Tests.Corpus;

/// <summary>One vendor PnP SUBSCRIBE with what the daemon should learn from it (TestData/vendors/manifest.csv).</summary>
/// <param name="File">Sample file name (e.g. <c>snom-snom360.sip</c>).</param>
/// <param name="Mac">Expected MAC, 12 lower-case hex digits, or empty when the message carries none.</param>
/// <param name="Vendor">Expected vendor key (<c>snom</c>, <c>yealink</c>, <c>grandstream</c>, <c>gigaset</c>, <c>fanvil</c>, <c>panasonic</c>, <c>audiocodes</c>).</param>
/// <param name="Model">Expected model.</param>
/// <param name="Version">Expected firmware version.</param>
/// <param name="Source">Provenance; starts with RECONSTRUCTED for messages rebuilt from documentation.</param>
/// <param name="Bytes">The datagram.</param>
internal sealed record VendorSample(string File, string Mac, string Vendor, string Model, string Version, string Source, byte[] Bytes)
{
    /// <summary>True for messages rebuilt from documentation rather than captured.</summary>
    public bool Reconstructed => Source.StartsWith("RECONSTRUCTED", StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => File;
}

/// <summary>Reads TestData/vendors.</summary>
internal static class VendorSamples
{
    /// <summary>Folder holding the samples and manifest.csv.</summary>
    public static string DataDirectory => Path.Combine(AppContext.BaseDirectory, "TestData", "vendors");

    /// <summary>All samples in manifest order.</summary>
    public static IReadOnlyList<VendorSample> Load() =>
        Rfc4475Corpus.ParseCsv(System.IO.File.ReadAllText(Path.Combine(DataDirectory, "manifest.csv")))
            .Skip(1)
            .Where(r => r.Length == 6)
            .Select(r => new VendorSample(r[0], r[1], r[2], r[3], r[4], r[5],
                System.IO.File.ReadAllBytes(Path.Combine(DataDirectory, r[0]))))
            .ToList();
}
