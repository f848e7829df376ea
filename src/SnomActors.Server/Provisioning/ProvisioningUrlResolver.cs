using System.Net;
using System.Text;
using SnomActors.Server.Config;
using SnomActors.Sip.Identity;

namespace SnomActors.Server.Provisioning;

/// <summary>
/// Turns the URL template that applies to a device into the URL the NOTIFY carries
/// (issue 2 item 6). Pure: the same device, address and options always give the same URL.
/// </summary>
public sealed class ProvisioningUrlResolver(PnpOptions options)
{
    private readonly Dictionary<string, string> _models = new(options.ModelUrlTemplates, StringComparer.OrdinalIgnoreCase);

    // Keys come from appsettings.json and flags as people write them ("Yealink", "00:04:13:B5:0A:1C");
    // the device identity uses the vendor key and the 12-hex MAC, so match on those forms.
    private readonly Dictionary<string, string> _vendors = new(options.VendorUrlTemplates, StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _macs = NormalizeMacKeys(options.MacUrlTemplates);

    /// <summary>The template for this device: per MAC, else per model, else per vendor, else the default.</summary>
    public string TemplateFor(DeviceIdentity device)
    {
        if (device.Mac is not null && _macs.TryGetValue(device.Mac, out var byMac)) return byMac;
        if (device.Model is not null && _models.TryGetValue(device.Model, out var byModel)) return byModel;
        if (_vendors.TryGetValue(device.Vendor, out var byVendor)) return byVendor;
        return options.ProvisioningUrlTemplate;
    }

    private static Dictionary<string, string> NormalizeMacKeys(IReadOnlyDictionary<string, string> byMac)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, template) in byMac)
            result[MacAddress.TryNormalize(key, out var mac) ? mac : key] = template;
        return result;
    }

    /// <param name="device">The phone.</param>
    /// <param name="phoneAddress">The phone's IP (for <c>{ip}</c>).</param>
    /// <param name="localAddress">Our address on the interface the SUBSCRIBE came in on (for <c>{server}</c>).</param>
    public string Resolve(DeviceIdentity device, IPAddress phoneAddress, IPAddress localAddress)
    {
        var server = options.ServerHost.Length > 0 ? options.ServerHost : FormatHost(localAddress);
        var template = TemplateFor(device);
        var token = options.DownloadTokens?.TokenForUrl(device);
        var url = Substitute(template, device, phoneAddress, server, options.HttpPort, token);
        if (options.GrandstreamDirectoryUrls && device.Vendor == Vendors.Grandstream && !url.EndsWith('/'))
        {
            // Grandstream treats the URL as a directory and fetches cfg<mac>.xml under it.
            var lastSlash = url.LastIndexOf('/');
            var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
            url = lastSlash > schemeEnd + 2 && url[(lastSlash + 1)..].Contains('.') ? url[..(lastSlash + 1)] : url + "/";
        }
        // The phone must need nothing but the URL: without a {token} in the template, the token rides in the query.
        if (token is not null && !template.Contains(TokenPlaceholder, StringComparison.Ordinal))
            url = AppendQuery(url, TokenParameter, token);
        return url;
    }

    /// <summary>The template placeholder that stands for the phone's download token.</summary>
    public const string TokenPlaceholder = "{token}";

    /// <summary>The query parameter that carries the download token.</summary>
    public const string TokenParameter = "token";

    /// <summary>Appends <c>name=value</c> to the URL's query (before any fragment).</summary>
    public static string AppendQuery(string url, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(url);
        var hash = url.IndexOf('#');
        var (head, fragment) = hash >= 0 ? (url[..hash], url[hash..]) : (url, string.Empty);
        var separator = head.Contains('?') ? (head.EndsWith('?') || head.EndsWith('&') ? "" : "&") : "?";
        return head + separator + name + "=" + Uri.EscapeDataString(value) + fragment;
    }

    /// <summary>
    /// The URL with every secret masked, for logs: the value of a <c>token</c> query parameter, and any
    /// run of 32 or more base64url characters (a token placed by <c>{token}</c> in the path; MACs,
    /// host names and file names are far shorter).
    /// </summary>
    public static string Redact(string? url)
    {
        if (string.IsNullOrEmpty(url)) return url ?? string.Empty;
        var sb = new StringBuilder(url.Length);
        var i = 0;
        while (i < url.Length)
        {
            // "token=" right after '?' or '&': mask up to the next '&' or '#'.
            if ((url[i] == '?' || url[i] == '&') && string.Compare(url, i + 1, TokenParameter + "=", 0, TokenParameter.Length + 1, StringComparison.OrdinalIgnoreCase) == 0)
            {
                sb.Append(url[i]).Append(TokenParameter).Append("=***");
                i += TokenParameter.Length + 2;
                while (i < url.Length && url[i] != '&' && url[i] != '#') i++;
                continue;
            }
            var run = i;
            while (run < url.Length && IsBase64Url(url[run])) run++;
            if (run - i >= 32)
            {
                sb.Append("***");
                i = run;
                continue;
            }
            if (run > i)
            {
                sb.Append(url, i, run - i);
                i = run;
                continue;
            }
            sb.Append(url[i]);
            i++;
        }
        return sb.ToString();

        static bool IsBase64Url(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';
    }

    /// <summary>
    /// Replaces the server-side placeholders (case-sensitive, lower-case names) and leaves anything
    /// else — <c>{MODEL}</c>, <c>$mac</c>, <c>%MACD</c> — for the phone to expand. A device without a
    /// MAC keeps <c>{mac}</c> verbatim, which snom phones expand themselves.
    /// </summary>
    public static string Substitute(string template, DeviceIdentity device, IPAddress phoneAddress, string server, int httpPort) =>
        Substitute(template, device, phoneAddress, server, httpPort, token: null);

    /// <summary>
    /// As <see cref="Substitute(string, DeviceIdentity, IPAddress, string, int)"/>, with <c>{token}</c>
    /// standing for the phone's download token (empty when it has none: the policy does not ask for one).
    /// </summary>
    public static string Substitute(string template, DeviceIdentity device, IPAddress phoneAddress, string server, int httpPort, string? token)
    {
        if (template.IndexOf('{') < 0) return template;
        var sb = new StringBuilder(template.Length + 32);
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            if (open < 0) { sb.Append(template, i, template.Length - i); break; }
            var close = template.IndexOf('}', open + 1);
            if (close < 0) { sb.Append(template, i, template.Length - i); break; }
            sb.Append(template, i, open - i);
            var name = template.AsSpan(open + 1, close - open - 1);
            string? value = name switch
            {
                "mac" => device.Mac,
                "vendor" => device.Vendor,
                "model" => device.Model is null ? null : Uri.EscapeDataString(device.Model),
                "version" => device.Version is null ? null : Uri.EscapeDataString(device.Version),
                "ip" => phoneAddress.ToString(),
                "server" => server,
                "port" => httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "token" => token is null ? string.Empty : Uri.EscapeDataString(token),
                _ => null,
            };
            if (value is null) sb.Append(template, open, close - open + 1);
            else sb.Append(value);
            i = close + 1;
        }
        return sb.ToString();
    }

    private static string FormatHost(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}
