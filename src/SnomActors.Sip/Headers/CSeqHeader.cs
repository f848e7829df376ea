using SnomActors.Sip.Messages;

namespace SnomActors.Sip.Headers;

/// <summary>CSeq: a 32-bit unsigned sequence number and the request method (RFC 3261 §8.1.1.5, §20.16).</summary>
public readonly record struct CSeqHeader(uint Number, string Method)
{
    public override string ToString() => $"{Number} {Method}";

    public static bool TryParse(string raw, out CSeqHeader cseq, out string error) => TryParse(raw.AsSpan(), out cseq, out error);

    /// <summary>Parses <c>1*DIGIT LWS Method</c>; allocates only for a method that is not a known one.</summary>
    public static bool TryParse(ReadOnlySpan<char> raw, out CSeqHeader cseq, out string error)
    {
        cseq = default;
        error = string.Empty;
        var s = raw.Trim(" \t");
        var sp = s.IndexOfAny(' ', '\t');
        if (sp < 0) { error = "CSeq needs a number and a method"; return false; }
        if (!SipSyntax.TryParseUInt32(s[..sp], out var number)) { error = "CSeq number is not a 32-bit unsigned integer"; return false; }
        var method = s[sp..].Trim(" \t");
        if (!SipSyntax.IsToken(method)) { error = "CSeq method is not a token"; return false; }
        cseq = new CSeqHeader(number, SipMethods.Intern(method));
        return true;
    }
}
