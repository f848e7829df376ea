using SnomActors.Simulator.Profiles;

namespace SnomActors.Simulator.Phones;

/// <summary>
/// What a phone makes of the URL in the NOTIFY body (protocol.md §5.2): phone-side macros are
/// expanded, directory URLs get the vendor's file name, and Grandstream ignores anything that is not
/// a directory.
/// </summary>
public static class SettingsUrl
{
    /// <summary>
    /// The URL the phone will fetch, or null with <paramref name="error"/> when it would ignore the body.
    /// </summary>
    public static Uri? Resolve(PhoneIdentity phone, string body, out string error)
    {
        error = string.Empty;
        var text = body.Trim();
        if (text.Length == 0) { error = "empty NOTIFY body"; return null; }
        var mac = phone.Mac;
        var upper = mac.ToUpperInvariant();
        var model = phone.Model;
        switch (phone.Profile.Style)
        {
            case SubscribeStyle.Snom:
                // snom replaces a literal {mac} (mass-deployment FAQ).
                text = text.Replace("{mac}", upper, StringComparison.Ordinal);
                break;
            case SubscribeStyle.Fanvil:
                text = text.Replace("$mac", mac, StringComparison.Ordinal);
                break;
            case SubscribeStyle.Gigaset:
                text = text.Replace("%MACD", upper, StringComparison.Ordinal);
                break;
            case SubscribeStyle.Panasonic:
                text = text.Replace("{MODEL}", model.Name, StringComparison.Ordinal)
                    .Replace("{fwver}", model.Firmware, StringComparison.Ordinal)
                    .Replace("{mac}", mac, StringComparison.Ordinal);
                break;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            error = $"not an absolute http(s) URL: '{Truncate(text)}'";
            return null;
        }
        var isDirectory = uri.AbsolutePath.EndsWith('/');
        switch (phone.Profile.Style)
        {
            case SubscribeStyle.Grandstream when !isDirectory:
                // gs_tools: Grandstream silently ignores a URL that is not a directory.
                error = $"Grandstream needs a directory URL ending in '/': '{Truncate(text)}'";
                return null;
            case SubscribeStyle.Grandstream:
                return new Uri(uri, $"cfg{mac}.xml");
            case SubscribeStyle.Yealink when isDirectory:
                return new Uri(uri, $"{mac}.boot");
            case SubscribeStyle.Panasonic when isDirectory:
                return new Uri(uri, $"{model.Name}.cfg");
            case SubscribeStyle.Fanvil when isDirectory:
                return new Uri(uri, $"{mac}.cfg");
            default:
                return uri;
        }
    }

    private static string Truncate(string s) => s.Length <= 120 ? s : s[..120] + "…";
}
