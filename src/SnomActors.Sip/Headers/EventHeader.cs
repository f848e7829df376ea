namespace SnomActors.Sip.Headers;

/// <summary>
/// Event (compact <c>o</c>, RFC 6665 §8.4): the package (<c>ua-profile</c>), the optional <c>id</c>,
/// and the other parameters — for ua-profile <c>profile-type</c>, <c>vendor</c>, <c>model</c>,
/// <c>version</c>, quoted or not (phones quote them although RFC 6080 makes profile-type a token).
/// </summary>
public sealed class EventHeader
{
    private EventHeader(string raw, string package, HeaderParameters parameters)
    {
        Raw = raw; Package = package; Parameters = parameters;
    }

    public string Raw { get; }
    /// <summary>event-type, e.g. <c>ua-profile</c> (compared byte-wise as RFC 6665 §8.2.1 says).</summary>
    public string Package { get; }
    public HeaderParameters Parameters { get; }
    public string? Id => Parameters["id"];

    public override string ToString() => Raw;

    /// <summary>
    /// <c>package[;id=…]</c> for the NOTIFY, which must name the same event (RFC 6665 §8.2.1). The id
    /// keeps the form it arrived in: a quoted id (phones quote their parameters although the grammar
    /// says token) is re-quoted, so that an id with a space still parses on the way back.
    /// </summary>
    public string PackageWithId()
    {
        foreach (var p in Parameters.Items)
        {
            if (!string.Equals(p.Name, "id", StringComparison.OrdinalIgnoreCase)) continue;
            if (p.Value is null) return Package;
            return string.Concat(Package, ";id=", p.Quoted ? SipSyntax.Quote(p.Value) : p.Value);
        }
        return Package;
    }

    public static bool TryParse(string raw, out EventHeader header, out string error)
    {
        header = null!;
        if (!TryScan(raw, out var packageStart, out var packageLength, out error, validateParameters: false)) return false;
        var s = raw.AsSpan();
        var paramsText = s[(packageStart + packageLength)..].TrimEnd(" \t");
        if (!HeaderParameters.TryParse(paramsText, out var parameters, out var consumed) || consumed != paramsText.Length)
        {
            error = "Event parameters are malformed";
            return false;
        }
        var packageSpan = s.Slice(packageStart, packageLength);
        var package = packageSpan.SequenceEqual("ua-profile") ? "ua-profile" : packageSpan.ToString();
        header = new EventHeader(raw, package, parameters);
        return true;
    }

    /// <summary>Validates without allocating; <see cref="TryParse"/> builds from the result.</summary>
    internal static bool TryScan(ReadOnlySpan<char> raw, out int packageStart, out int packageLength, out string error, bool validateParameters = true)
    {
        error = string.Empty;
        packageStart = raw.Length - raw.TrimStart(" \t").Length;
        var s = raw[packageStart..].TrimEnd(" \t");
        var i = 0;
        while (i < s.Length && SipSyntax.IsTokenChar(s[i])) i++;
        packageLength = i;
        if (i == 0) { error = "Event package missing"; return false; }
        List<HeaderParameter>? none = null;
        if (validateParameters && (!HeaderParameters.TryScan(s[i..], out var consumed, ref none, build: false) || i + consumed != s.Length))
        {
            error = "Event parameters are malformed";
            return false;
        }
        return true;
    }
}
