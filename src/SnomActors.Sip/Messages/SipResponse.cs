using System.Text;

namespace SnomActors.Sip.Messages;

/// <summary>A parsed SIP response.</summary>
public sealed class SipResponse : SipMessage
{
    internal SipResponse(int statusCode, string reasonPhrase, in MessageParts parts) : base(parts)
    {
        StatusCode = statusCode;
        ReasonPhrase = reasonPhrase;
    }

    public int StatusCode { get; }

    /// <summary>Reason phrase as received; may be empty (RFC 4475 <c>noreason</c>).</summary>
    public string ReasonPhrase { get; }

    public bool IsProvisional => StatusCode < 200;
    public bool IsSuccess => StatusCode is >= 200 and < 300;

    private protected override void AppendStartLine(StringBuilder sb) =>
        sb.Append("SIP/2.0 ").Append(StatusCode).Append(' ').Append(ReasonPhrase);
}
