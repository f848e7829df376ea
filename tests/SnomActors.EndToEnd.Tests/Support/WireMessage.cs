using System.Text;

namespace SnomActors.EndToEnd.Tests.Support;

/// <summary>
/// A deliberately small, independent reading of what the daemon puts on the wire (start line,
/// headers with compact forms and folding, body). The end-to-end tests do not use the daemon's own
/// parser, so a bug there cannot hide itself.
/// </summary>
internal sealed class WireMessage
{
    private static readonly Dictionary<string, string> Compact = new(StringComparer.OrdinalIgnoreCase)
    {
        ["i"] = "Call-ID", ["m"] = "Contact", ["e"] = "Content-Encoding", ["l"] = "Content-Length",
        ["c"] = "Content-Type", ["f"] = "From", ["s"] = "Subject", ["k"] = "Supported", ["t"] = "To",
        ["v"] = "Via", ["o"] = "Event", ["u"] = "Allow-Events",
    };

    private WireMessage(byte[] raw, string startLine, List<KeyValuePair<string, string>> headers, string body)
    {
        Raw = raw;
        StartLine = startLine;
        Headers = headers;
        Body = body;
    }

    /// <summary>The datagram as received.</summary>
    public byte[] Raw { get; }

    public string StartLine { get; }

    /// <summary>Headers in order, long names.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    public string Body { get; }

    public bool IsResponse => StartLine.StartsWith("SIP/2.0 ", StringComparison.Ordinal);

    /// <summary>Status code of a response, 0 for a request.</summary>
    public int StatusCode => IsResponse && StartLine.Length >= 11 && int.TryParse(StartLine.AsSpan(8, 3), out var code) ? code : 0;

    /// <summary>Reason phrase of a response.</summary>
    public string ReasonPhrase => IsResponse && StartLine.Length > 12 ? StartLine[12..] : "";

    /// <summary>Method of a request, empty for a response.</summary>
    public string Method => IsResponse ? "" : StartLine.Split(' ')[0];

    /// <summary>Request-URI of a request.</summary>
    public string RequestUri => IsResponse ? "" : StartLine.Split(' ')[1];

    public string? CallId => Header("Call-ID");

    /// <summary>The <c>tag</c> parameter of the To header.</summary>
    public string? ToTag => Tag(Header("To"));

    /// <summary>The <c>tag</c> parameter of the From header.</summary>
    public string? FromTag => Tag(Header("From"));

    /// <summary>The first value of a header (long or compact name, case-insensitive).</summary>
    public string? Header(string name) => AllHeaders(name).FirstOrDefault();

    /// <summary>Every value of a header, in order.</summary>
    public IEnumerable<string> AllHeaders(string name) =>
        Headers.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);

    /// <summary>A parameter (<c>;name=value</c> or a bare flag, which yields "") of a header value; null when absent.</summary>
    public static string? Parameter(string? headerValue, string name)
    {
        if (headerValue is null) return null;
        // Parameters after the name-addr's closing '>' (or after the value when there is none).
        var close = headerValue.LastIndexOf('>');
        var parameters = close >= 0 ? headerValue[(close + 1)..] : headerValue[(headerValue.IndexOf(';') is var i && i >= 0 ? i : headerValue.Length)..];
        foreach (var part in parameters.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            var key = eq < 0 ? part : part[..eq].Trim();
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase)) return eq < 0 ? "" : part[(eq + 1)..].Trim();
        }
        return null;
    }

    private static string? Tag(string? headerValue) => Parameter(headerValue, "tag");

    /// <summary>Parses a datagram; throws <see cref="FormatException"/> on anything that is not SIP-shaped.</summary>
    public static WireMessage Parse(byte[] datagram)
    {
        var text = Encoding.UTF8.GetString(datagram);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0) throw new FormatException($"no empty line ending the headers in: {text}");
        var lines = text[..split].Split("\r\n");
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            if (line.Length > 0 && line[0] is ' ' or '\t' && headers.Count > 0)
            {
                var last = headers[^1];
                headers[^1] = new(last.Key, last.Value + " " + line.Trim());
                continue;
            }
            var colon = line.IndexOf(':');
            if (colon <= 0) throw new FormatException($"header line without a colon: '{line}'");
            var name = line[..colon].Trim();
            headers.Add(new(Compact.TryGetValue(name, out var full) ? full : name, line[(colon + 1)..].Trim()));
        }
        return new WireMessage(datagram, lines[0], headers, text[(split + 4)..]);
    }

    public override string ToString() => Encoding.UTF8.GetString(Raw);
}
