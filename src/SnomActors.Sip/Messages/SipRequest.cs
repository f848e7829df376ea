using System.Text;
using SnomActors.Sip.Headers;

namespace SnomActors.Sip.Messages;

/// <summary>A parsed SIP request.</summary>
public sealed class SipRequest : SipMessage
{
    internal SipRequest(string method, SipUri requestUri, MessageParts parts) : base(parts)
    {
        Method = method;
        RequestUri = requestUri;
    }

    /// <summary>The method, case preserved (methods are case-sensitive).</summary>
    public string Method { get; }

    public SipUri RequestUri { get; }

    private protected override void AppendStartLine(StringBuilder sb) =>
        sb.Append(Method).Append(' ').Append(RequestUri.Raw).Append(" SIP/2.0");
}
