using System.Text;
using SnomActors.Sip.Headers;

namespace SnomActors.Sip.Messages;

/// <summary>A parsed SIP request.</summary>
public sealed class SipRequest : SipMessage
{
    private readonly int _uriStart;
    private readonly int _uriLength;
    private SipUri? _requestUri;

    internal SipRequest(string method, int uriStart, int uriLength, in MessageParts parts) : base(parts)
    {
        Method = method;
        _uriStart = uriStart;
        _uriLength = uriLength;
    }

    /// <summary>The method, case preserved (methods are case-sensitive).</summary>
    public string Method { get; }

    public SipUri RequestUri => _requestUri ?? (Interlocked.CompareExchange(ref _requestUri, BuildUri(), null) ?? _requestUri!);

    private SipUri BuildUri()
    {
        var octets = Octets(_uriStart, _uriLength);
        if (SipUri.TryParse(Encoding.UTF8.GetString(octets), out var uri, out _)) return uri;
        SipUri.TryParse(Encoding.Latin1.GetString(octets), out uri, out _);
        return uri;
    }

    private protected override void AppendStartLine(StringBuilder sb) =>
        sb.Append(Method).Append(' ').Append(RequestUri.Raw).Append(" SIP/2.0");
}
