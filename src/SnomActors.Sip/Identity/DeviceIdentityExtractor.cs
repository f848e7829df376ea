using SnomActors.Sip.Headers;
using SnomActors.Sip.Messages;

namespace SnomActors.Sip.Identity;

/// <summary>
/// Reads a phone's identity from its PnP SUBSCRIBE (protocol.md §5.1). The MAC is looked for in
/// the Request-URI user, To, From and Contact users (%-unescaped), then the User-Agent, then an
/// RFC 6080 UUID URN; vendor, model and version come from the Event parameters unless they are
/// the snom 7.x placeholder <c>OEM</c>, then from the User-Agent, then (vendor only) the MAC's OUI.
/// </summary>
public static class DeviceIdentityExtractor
{
    public static DeviceIdentity Extract(SipRequest request)
    {
        var mac = FindMac(request);
        var ua = request.UserAgent;
        var ev = request.Event;
        var vendorParam = VendorParam(ev);
        var modelParam = Clean(ev?.Parameters["model"]);
        var versionParam = Clean(ev?.Parameters["version"]);
        var profileType = ev?.Parameters["profile-type"] ?? "device";

        var uaInfo = ParseUserAgent(ua);
        var vendor = NamedVendor(vendorParam, modelParam, uaInfo.Vendor) ?? VendorFromOui(mac) ?? Vendors.Unknown;
        var model = modelParam ?? uaInfo.Model;
        var version = versionParam ?? uaInfo.Version;
        return new DeviceIdentity(mac, vendor, model, version, ua, profileType);
    }

    /// <summary>
    /// Only the vendor, as <see cref="Extract"/> finds it (same precedence), for the overload path that
    /// sheds a request and merely labels the count: no User-Agent split, no model or version, and the
    /// MAC searched only when nothing else names the vendor.
    /// </summary>
    public static string VendorOf(SipRequest request)
    {
        var ev = request.Event;
        return NamedVendor(VendorParam(ev), Clean(ev?.Parameters["model"]), VendorFromText(request.UserAgent))
            ?? VendorFromOui(FindMac(request))
            ?? Vendors.Unknown;
    }

    /// <summary>The vendor the message names (Event vendor, Event model, User-Agent, in that order); null when only the OUI can tell.</summary>
    private static string? NamedVendor(string? vendorParam, string? modelParam, string? userAgentVendor) =>
        VendorFromText(vendorParam) ?? VendorFromText(modelParam) ?? userAgentVendor;

    // Panasonic spells it "vender".
    private static string? VendorParam(EventHeader? ev) => Clean(ev?.Parameters["vendor"] ?? ev?.Parameters["vender"]);

    /// <summary>Finds the MAC in the places phones put it, or null.</summary>
    public static string? FindMac(SipRequest request)
    {
        if (TryMacFromUser(request.RequestUri.UnescapedUser, out var mac)) return mac;
        if (TryMacFromUser(request.To.Uri.UnescapedUser, out mac)) return mac;
        if (TryMacFromUser(request.From.Uri.UnescapedUser, out mac)) return mac;
        if (request.Contact is { } contact && TryMacFromUser(contact.Uri.UnescapedUser, out mac)) return mac;
        if (TryMacFromUserAgent(request.UserAgent, out mac)) return mac;
        foreach (var c in request.Contacts)
        {
            var instance = c.Parameters["+sip.instance"];
            if (instance is not null && TryMacFromUuidUrn(instance.Trim('<', '>'), out mac)) return mac;
        }
        if (TryMacFromUuidUrn(request.RequestUri.UnescapedUser, out mac)) return mac;
        return null;
    }

    /// <summary>
    /// <c>MAC:000413…</c>, <c>MAC=…</c>, bare <c>MAC…</c> (Yealink), any case, separators allowed;
    /// a bare 12-hex user part counts too (some OEM firmwares).
    /// </summary>
    public static bool TryMacFromUser(string? user, out string mac)
    {
        mac = string.Empty;
        if (string.IsNullOrEmpty(user)) return false;
        var s = user.AsSpan();
        if (s.StartsWith("urn:", StringComparison.OrdinalIgnoreCase)) return TryMacFromUuidUrn(user, out mac);
        if (s.StartsWith("MAC", StringComparison.OrdinalIgnoreCase))
        {
            s = s[3..];
            if (s.Length > 0 && s[0] is ':' or '=' or '-' or '_') s = s[1..];
        }
        return MacAddress.TryNormalize(s, out mac);
    }

    /// <summary><c>… (MAC=00:04:13:…; SER=…)</c> (snom M700) or a trailing 12-hex token (Fanvil).</summary>
    public static bool TryMacFromUserAgent(string? userAgent, out string mac)
    {
        mac = string.Empty;
        if (string.IsNullOrEmpty(userAgent)) return false;
        var idx = userAgent.IndexOf("MAC=", StringComparison.OrdinalIgnoreCase);
        if (idx < 0) idx = userAgent.IndexOf("MAC:", StringComparison.OrdinalIgnoreCase);
        if (idx >= 0)
        {
            var macStart = idx + 4;
            var macEnd = macStart;
            while (macEnd < userAgent.Length && (MacAddress.IsHex(userAgent[macEnd]) || userAgent[macEnd] is ':' or '-' or '.')) macEnd++;
            if (MacAddress.TryNormalize(userAgent.AsSpan(macStart, macEnd - macStart), out mac)) return true;
        }
        // A trailing 12-hex token (not the product name itself), e.g. Fanvil's "… 0c383e63963b".
        var span = userAgent.AsSpan();
        var first = 0;
        while (first < span.Length && IsUserAgentSeparator(span[first])) first++;
        var end = span.Length;
        while (end > first)
        {
            while (end > first && IsUserAgentSeparator(span[end - 1])) end--;
            var start = end;
            while (start > first && !IsUserAgentSeparator(span[start - 1])) start--;
            if (start <= first) break;
            var token = span[start..end];
            if (token.Length == 12 && !token.ContainsAnyExcept(HexDigits)
                && (token.ContainsAny(HexLetters) || token.StartsWith("00", StringComparison.Ordinal))
                && MacAddress.TryNormalize(token, out mac)) return true;
            end = start;
        }
        return false;
    }

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");
    private static readonly System.Buffers.SearchValues<char> HexLetters = System.Buffers.SearchValues.Create("abcdefABCDEF");

    private static bool IsUserAgentSeparator(char c) => c is ' ' or '\t' or '(' or ')' or ';' or '/';

    /// <summary>RFC 6080 §5.1.4 device id: <c>urn:uuid:00000000-0000-1000-0000-00FF8D82EDCB</c>, node field = MAC.</summary>
    public static bool TryMacFromUuidUrn(string? text, out string mac)
    {
        mac = string.Empty;
        if (string.IsNullOrEmpty(text)) return false;
        var s = text.AsSpan();
        if (!s.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase)) return false;
        var uuid = s[9..];
        if (uuid.Length != 36 || !Guid.TryParse(uuid, out _)) return false;
        // Only version-1 UUIDs carry a node field; the RFC example zeroes time fields but keeps version 1.
        if (uuid[14] != '1') return false;
        return MacAddress.TryNormalize(uuid[24..], out mac);
    }

    private static string? Clean(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        value = value.Trim();
        return value.Equals("OEM", StringComparison.OrdinalIgnoreCase) ? null : value;
    }

    /// <summary>Maps a vendor string (Event param, User-Agent product) to a vendor key.</summary>
    public static string? VendorFromText(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (text.Contains("snom", StringComparison.OrdinalIgnoreCase)) return Vendors.Snom;
        if (text.Contains("yealink", StringComparison.OrdinalIgnoreCase)) return Vendors.Yealink;
        if (text.Contains("grandstream", StringComparison.OrdinalIgnoreCase)) return Vendors.Grandstream;
        if (text.Contains("gigaset", StringComparison.OrdinalIgnoreCase)) return Vendors.Gigaset;
        // PLANET VIP phones are Fanvil OEM units: same message shape and $mac URL macro.
        if (text.Contains("fanvil", StringComparison.OrdinalIgnoreCase) || text.Contains("planet", StringComparison.OrdinalIgnoreCase)) return Vendors.Fanvil;
        if (text.Contains("panasonic", StringComparison.OrdinalIgnoreCase) || text.StartsWith("KX-", StringComparison.OrdinalIgnoreCase)) return Vendors.Panasonic;
        // AudioCodes phones announce themselves as "AUDC-IPPhone-440HD_UC_2.2.2/1.0".
        if (text.Contains("audiocodes", StringComparison.OrdinalIgnoreCase) || text.StartsWith("AUDC", StringComparison.OrdinalIgnoreCase)) return Vendors.AudioCodes;
        return null;
    }

    private static readonly Dictionary<string, string> OuiVendors = new(StringComparer.Ordinal)
    {
        // A few registered OUIs per vendor; the Event vendor parameter and User-Agent win when present.
        ["000413"] = Vendors.Snom,
        ["001565"] = Vendors.Yealink, ["805ec0"] = Vendors.Yealink, ["805e0c"] = Vendors.Yealink, ["249ad8"] = Vendors.Yealink, ["44dbd2"] = Vendors.Yealink,
        ["000b82"] = Vendors.Grandstream, ["c074ad"] = Vendors.Grandstream, ["ec74d7"] = Vendors.Grandstream,
        ["7c2f80"] = Vendors.Gigaset, ["589ec6"] = Vendors.Gigaset,
        ["0c383e"] = Vendors.Fanvil, ["a8c0ea"] = Vendors.Fanvil,
        ["080023"] = Vendors.Panasonic, ["0080f0"] = Vendors.Panasonic,
        ["00908f"] = Vendors.AudioCodes,
    };

    public static string? VendorFromOui(string? mac) =>
        mac is not null && OuiVendors.TryGetValue(mac[..6], out var vendor) ? vendor : null;

    private readonly record struct UserAgentInfo(string? Vendor, string? Model, string? Version);

    /// <summary>
    /// User-Agent shapes: <c>snom360/7.3.14</c>, <c>snom360-SIP 7.3.14</c>, <c>snomM700/03.23.0005 (MAC=…)</c>,
    /// <c>Yealink W52P 25.81.0.10</c>, <c>Grandstream GRP2612W 1.0.5.67</c>, <c>Fanvil X303 2.12.18.9 0c383e63963b</c>.
    /// </summary>
    private static UserAgentInfo ParseUserAgent(string? ua)
    {
        if (string.IsNullOrWhiteSpace(ua)) return default;
        var vendor = VendorFromText(ua);
        var tokens = ua.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        string? model = null, version = null;
        if (vendor == Vendors.Snom && tokens[0].StartsWith("snom", StringComparison.OrdinalIgnoreCase))
        {
            var first = tokens[0];
            var slash = first.IndexOf('/');
            if (slash > 0) { model = first[..slash]; version = first[(slash + 1)..]; }
            else
            {
                model = first.EndsWith("-SIP", StringComparison.OrdinalIgnoreCase) ? first[..^4] : first;
                version = tokens.Length > 1 ? tokens[1] : null;
            }
        }
        else if (tokens.Length >= 2 && VendorFromText(tokens[0]) is not null)
        {
            model = tokens[1];
            version = tokens.Length >= 3 && char.IsAsciiDigit(tokens[2][0]) ? tokens[2] : null;
        }
        return new UserAgentInfo(vendor, model, version);
    }
}
