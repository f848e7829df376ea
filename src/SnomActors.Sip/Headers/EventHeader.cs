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

    public static bool TryParse(string raw, out EventHeader header, out string error)
    {
        header = null!;
        error = string.Empty;
        var s = raw.AsSpan().Trim(" \t");
        var i = 0;
        while (i < s.Length && SipSyntax.IsTokenChar(s[i])) i++;
        if (i == 0) { error = "Event package missing"; return false; }
        var package = s[..i].ToString();
        if (!HeaderParameters.TryParse(s[i..], out var parameters, out var consumed) || i + consumed != s.Length)
        {
            error = "Event parameters are malformed";
            return false;
        }
        header = new EventHeader(raw, package, parameters);
        return true;
    }
}
