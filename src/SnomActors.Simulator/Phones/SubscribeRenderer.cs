using System.Net;
using System.Text;
using SnomActors.Simulator.Profiles;

namespace SnomActors.Simulator.Phones;

/// <summary>
/// Renders the PnP SUBSCRIBE each vendor sends, header order and quirks included (protocol.md §5.1).
/// The bytes are built once per boot: retransmissions are byte-identical, as the branch-less snom
/// SUBSCRIBE requires for RFC 2543 transaction matching.
/// </summary>
public static class SubscribeRenderer
{
    /// <summary>The SUBSCRIBE of <paramref name="phone"/> at <paramref name="local"/>, sent to <paramref name="target"/>.</summary>
    public static byte[] Render(PhoneIdentity phone, IPEndPoint local, IPEndPoint target)
    {
        var mac = phone.Mac;
        var upper = mac.ToUpperInvariant();
        var targetHost = target.Address.ToString();
        var ip = local.Address.ToString();
        var port = local.Port;
        var callId = phone.CallIdFor(local);
        var model = phone.Model;
        var ua = phone.Profile.UserAgent(model, mac);
        var cseq = phone.Profile.InitialCSeq;
        var sb = new StringBuilder(640);
        switch (phone.Profile.Style)
        {
            case SubscribeStyle.Snom:
            {
                var uri = $"sip:MAC%3a{upper}@{targetHost}";
                // snom 7.1.x firmware sends placeholder identity parameters (protocol.md §5.1).
                var ev = model.Firmware.StartsWith("7.1.", StringComparison.Ordinal)
                    ? "ua-profile;profile-type=\"device\";vendor=\"OEM\";model=\"OEM\";version=\"7.1.30\""
                    : $"ua-profile;profile-type=\"device\";vendor=\"snom\";model=\"{model.Name}\";version=\"{model.Firmware}\"";
                sb.Append("SUBSCRIBE ").Append(uri).Append(" SIP/2.0\r\n")
                  .Append("Via: SIP/2.0/UDP ").Append(ip).Append(':').Append(port).Append(";rport\r\n")
                  .Append("From: <").Append(uri).Append(">;tag=").Append(phone.FromTag).Append("\r\n")
                  .Append("To: <").Append(uri).Append(">\r\n")
                  .Append("Call-ID: ").Append(callId).Append("\r\n")
                  .Append("CSeq: ").Append(cseq).Append(" SUBSCRIBE\r\n")
                  .Append("Contact: <sip:").Append(ip).Append(':').Append(port).Append(">\r\n")
                  .Append("Event: ").Append(ev).Append("\r\n")
                  .Append("Expires: 0\r\n")
                  .Append("User-Agent: ").Append(ua).Append("\r\n")
                  .Append("Accept: application/url\r\n");
                break;
            }
            case SubscribeStyle.Yealink:
            {
                var uri = $"sip:MAC{mac}@{targetHost}";
                sb.Append("SUBSCRIBE ").Append(uri).Append(" SIP/2.0\r\n")
                  .Append("Via: SIP/2.0/UDP ").Append(ip).Append(':').Append(port).Append(";branch=").Append(phone.Branch).Append("\r\n")
                  .Append("From: <").Append(uri).Append(">;tag=").Append(phone.FromTag).Append("\r\n")
                  .Append("To: <").Append(uri).Append(">\r\n")
                  .Append("Call-ID: ").Append(callId).Append("\r\n")
                  .Append("CSeq: ").Append(cseq).Append(" SUBSCRIBE\r\n")
                  .Append("Contact: <sip:MAC").Append(mac).Append('@').Append(ip).Append(':').Append(port).Append(">\r\n")
                  .Append("Accept: application/url\r\n")
                  .Append("Max-Forwards: 70\r\n")
                  .Append("User-Agent: ").Append(ua).Append("\r\n")
                  .Append("Expires: 0\r\n")
                  .Append("Event: ua-profile;profile-type=\"device\";vendor=\"yealink\";model=\"").Append(model.Name)
                  .Append("\";version=\"").Append(model.Firmware).Append("\"\r\n");
                break;
            }
            case SubscribeStyle.Grandstream:
            {
                var uri = $"sip:MAC%3A{upper}@{targetHost}";
                sb.Append("SUBSCRIBE ").Append(uri).Append(" SIP/2.0\r\n")
                  .Append("Via: SIP/2.0/UDP ").Append(ip).Append(':').Append(port).Append(";branch=").Append(phone.Branch).Append(";rport\r\n")
                  .Append("From: <").Append(uri).Append(">;tag=").Append(phone.FromTag).Append("\r\n")
                  .Append("To: <").Append(uri).Append(">\r\n")
                  .Append("Contact: <sip:").Append(ip).Append(':').Append(port).Append(">\r\n")
                  .Append("Supported: path\r\n")
                  .Append("Call-ID: ").Append(callId).Append("\r\n")
                  .Append("CSeq: ").Append(cseq).Append(" SUBSCRIBE\r\n")
                  .Append("User-Agent: ").Append(ua).Append("\r\n")
                  .Append("Max-Forwards: 70\r\n")
                  .Append("Allow: INVITE, ACK, OPTIONS, CANCEL, BYE, SUBSCRIBE, NOTIFY, INFO, REFER, UPDATE, MESSAGE\r\n")
                  .Append("Event: ua-profile;profile-type=\"device\";vendor=\"Grandstream\";model=\"").Append(model.Name)
                  .Append("\";version=\"").Append(model.Firmware).Append("\"\r\n")
                  .Append("Expires: 0\r\n")
                  .Append("Accept: application/url\r\n");
                break;
            }
            case SubscribeStyle.Gigaset:
            {
                // Host "local" as in the Maxwell 3 trace; the daemon knows Gigaset by its User-Agent.
                var uri = $"sip:MAC%3A{upper}@local";
                sb.Append("SUBSCRIBE ").Append(uri).Append(" SIP/2.0\r\n")
                  .Append("Via: SIP/2.0/UDP ").Append(ip).Append(':').Append(port).Append(";branch=").Append(phone.Branch).Append(";rport\r\n")
                  .Append("From: <").Append(uri).Append(">;tag=").Append(phone.FromTag).Append("\r\n")
                  .Append("To: <").Append(uri).Append(">\r\n")
                  .Append("Call-ID: ").Append(callId).Append("\r\n")
                  .Append("CSeq: ").Append(cseq).Append(" SUBSCRIBE\r\n")
                  .Append("Contact: <sip:").Append(ip).Append(':').Append(port).Append(">\r\n")
                  .Append("Max-Forwards: 70\r\n")
                  .Append("User-Agent: ").Append(ua).Append("\r\n")
                  .Append("Event: ua-profile;profile-type=\"device\"\r\n")
                  .Append("Expires: 0\r\n")
                  .Append("Accept: application/url\r\n");
                break;
            }
            case SubscribeStyle.Fanvil:
            {
                var uri = $"sip:MAC={mac}@{targetHost}";
                sb.Append("SUBSCRIBE ").Append(uri).Append(" SIP/2.0\r\n")
                  .Append("Via: SIP/2.0/UDP ").Append(ip).Append(':').Append(port).Append(";branch=").Append(phone.Branch).Append(";rport\r\n")
                  .Append("From: <").Append(uri).Append(">;tag=").Append(phone.FromTag).Append("\r\n")
                  .Append("To: <").Append(uri).Append(">\r\n")
                  .Append("Call-ID: ").Append(callId).Append("\r\n")
                  .Append("CSeq: ").Append(cseq).Append(" SUBSCRIBE\r\n")
                  .Append("Contact: <sip:").Append(ip).Append(':').Append(port).Append(">\r\n")
                  .Append("Max-Forwards: 70\r\n")
                  .Append("User-Agent: ").Append(ua).Append("\r\n")
                  .Append("Event:ua-profile;profile-type=\"device\";vendor=\"Fanvil\";model=\"").Append(model.Name)
                  .Append("\";version=\"").Append(model.Firmware).Append("\"\r\n")
                  .Append("Expires: 0\r\n")
                  .Append("Accept: application/url\r\n");
                break;
            }
            case SubscribeStyle.Panasonic:
            {
                var uri = $"sip:MAC%3a{upper}@{targetHost}";
                sb.Append("SUBSCRIBE ").Append(uri).Append(" SIP/2.0\r\n")
                  .Append("Via: SIP/2.0/UDP ").Append(ip).Append(':').Append(port).Append(";branch=").Append(phone.Branch).Append(";rport\r\n")
                  .Append("Max-Forwards: 70\r\n")
                  .Append("From: <").Append(uri).Append(">;tag=").Append(phone.FromTag).Append("\r\n")
                  .Append("To: <").Append(uri).Append(">\r\n")
                  .Append("Call-ID: ").Append(callId).Append("\r\n")
                  .Append("CSeq: ").Append(cseq).Append(" SUBSCRIBE\r\n")
                  .Append("Contact: <sip:").Append(ip).Append(':').Append(port).Append(">\r\n")
                  .Append("User-Agent: ").Append(ua).Append("\r\n")
                  .Append("Event: ua-profile;profile-type=\"device\";vender=\"Panasonic\";model=\"").Append(model.Name)
                  .Append("\";version=\"").Append(model.Firmware).Append("\"\r\n")
                  .Append("Expires: 0\r\n")
                  .Append("Accept: application/url\r\n");
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(phone), phone.Profile.Style, "unknown SUBSCRIBE style");
        }
        sb.Append("Content-Length: 0\r\n\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }
}
