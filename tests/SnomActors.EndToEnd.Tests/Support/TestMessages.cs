using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace SnomActors.EndToEnd.Tests.Support;

/// <summary>
/// Datagrams the test phones send. Vendor samples carry real public addresses (captures), so every
/// one is rewritten to the test phone's own address before it leaves, and checked afterwards:
/// nothing sent to a daemon may name an address outside the test's loopback/namespace world.
/// </summary>
internal static partial class TestMessages
{
    private const string Group = "224.0.1.75";

    /// <summary>
    /// A vendor sample as the phone at <paramref name="phone"/> would send it: its Via sent-by and
    /// Contact become <paramref name="phone"/>, every other IPv4 literal (except the PnP group) its
    /// address, DNS host names in URIs the group address, and the Call-ID gets a unique prefix so
    /// that repeated sends are new dialogs.
    /// </summary>
    public static string RewriteSample(string sample, IPEndPoint phone, string uniquePrefix)
    {
        var via = TopViaSentBy().Match(sample);
        if (!via.Success) throw new ArgumentException($"sample has no Via: {sample}");
        var host = via.Groups["host"].Value;
        var port = via.Groups["port"].Success ? via.Groups["port"].Value : null;
        var ip = phone.Address.ToString();
        var text = port is null ? sample : sample.Replace($"{host}:{port}", $"{ip}:{phone.Port}", StringComparison.Ordinal);
        // A Via without a port (5060 implied) gets the phone's real one; the Contact too when it names the phone's host.
        text = TopViaSentBy().Replace(text, m => m.Groups["port"].Success ? m.Value : $"{m.Groups["prefix"].Value}{ip}:{phone.Port}", 1);
        text = Ipv4Literal().Replace(text, m => m.Value == Group ? m.Value : ip);
        text = DnsHostInUri().Replace(text, Group);
        text = CallIdLine().Replace(text, m => $"{m.Groups["name"].Value}{uniquePrefix}-{m.Groups["value"].Value}", 1);
        AssertOnlyTestAddresses(text, phone.Address);
        return text;
    }

    /// <summary>Throws if <paramref name="datagram"/> names any IPv4 address other than loopback, the PnP group or <paramref name="allowed"/>.</summary>
    public static void AssertOnlyTestAddresses(string datagram, params IPAddress[] allowed)
    {
        foreach (Match m in Ipv4Literal().Matches(datagram))
        {
            if (m.Value == Group) continue;
            if (!IPAddress.TryParse(m.Value, out var address)) continue;
            if (IPAddress.IsLoopback(address) || allowed.Contains(address)) continue;
            throw new InvalidOperationException($"refusing to send a datagram naming {m.Value} (not a test address):\n{datagram}");
        }
    }

    /// <summary>A snom-style PnP SUBSCRIBE (ua-profile) from <paramref name="phone"/> for <paramref name="mac"/> (12 hex digits).</summary>
    public static string Subscribe(IPEndPoint phone, string mac, string callId, string eventHeader = "ua-profile;profile-type=\"device\";vendor=\"snom\";model=\"snom360\";version=\"8.7.5\"",
        string requestHost = Group)
    {
        var upper = mac.ToUpperInvariant();
        var sb = new StringBuilder();
        sb.Append($"SUBSCRIBE sip:MAC%3a{upper}@{requestHost} SIP/2.0\r\n");
        sb.Append($"Via: SIP/2.0/UDP {phone.Address}:{phone.Port};branch=z9hG4bK{Guid.NewGuid():N};rport\r\n");
        sb.Append($"From: <sip:MAC%3a{upper}@{requestHost}>;tag={Random.Shared.Next(1, int.MaxValue)}\r\n");
        sb.Append($"To: <sip:MAC%3a{upper}@{requestHost}>\r\n");
        sb.Append($"Call-ID: {callId}\r\n");
        sb.Append("CSeq: 1 SUBSCRIBE\r\n");
        sb.Append($"Event: {eventHeader}\r\n");
        sb.Append("Expires: 0\r\n");
        sb.Append("Accept: application/url\r\n");
        sb.Append($"Contact: <sip:{phone.Address}:{phone.Port}>\r\n");
        sb.Append("User-Agent: snom360/8.7.5\r\n");
        sb.Append("Content-Length: 0\r\n\r\n");
        return sb.ToString();
    }

    /// <summary>A well-formed INVITE (a method the PnP server does not implement) from <paramref name="phone"/>.</summary>
    public static string Invite(IPEndPoint phone, IPEndPoint daemon, string callId)
    {
        var sb = new StringBuilder();
        sb.Append($"INVITE sip:pnp@{daemon.Address}:{daemon.Port} SIP/2.0\r\n");
        sb.Append($"Via: SIP/2.0/UDP {phone.Address}:{phone.Port};branch=z9hG4bK{Guid.NewGuid():N};rport\r\n");
        sb.Append("Max-Forwards: 70\r\n");
        sb.Append($"From: <sip:alice@{phone.Address}>;tag=inv{Random.Shared.Next(1, int.MaxValue)}\r\n");
        sb.Append($"To: <sip:pnp@{daemon.Address}>\r\n");
        sb.Append($"Call-ID: {callId}\r\n");
        sb.Append("CSeq: 1 INVITE\r\n");
        sb.Append($"Contact: <sip:alice@{phone.Address}:{phone.Port}>\r\n");
        sb.Append("Content-Length: 0\r\n\r\n");
        return sb.ToString();
    }

    /// <summary>A fresh MAC in snom's OUI whose NIC part is unique per call.</summary>
    public static string NewMac() => $"000413{Random.Shared.Next(0, 0x1000000):x6}";

    [GeneratedRegex(@"^(?<prefix>(?:Via|v)\s*:\s*SIP/2\.0/UDP\s+)(?<host>[^\s;:]+)(?::(?<port>\d+))?", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex TopViaSentBy();

    [GeneratedRegex(@"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")]
    private static partial Regex Ipv4Literal();

    // A host after '@' in a URI that is a DNS name with a dot (e.g. a PBX domain in a capture).
    [GeneratedRegex(@"(?<=@)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?=[>;:\s])")]
    private static partial Regex DnsHostInUri();

    [GeneratedRegex(@"^(?<name>(?:Call-ID|i)\s*:\s*)(?<value>\S+)", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex CallIdLine();
}
