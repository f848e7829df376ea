namespace SnomActors.Sip.Parsing;

/// <summary>
/// Bounds the parser enforces before allocating anything from a length it has not checked.
/// Defaults fit any real phone (the largest PnP SUBSCRIBE seen is ~730 bytes) with wide margins.
/// </summary>
public sealed record SipParserLimits(int MaxDatagramBytes = 65_535, int MaxHeaderCount = 128, int MaxLineLength = 8_192)
{
    public static readonly SipParserLimits Default = new();
}
