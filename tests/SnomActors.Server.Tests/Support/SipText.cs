using System.Text;

namespace SnomActors.Server.Tests.Support;

/// <summary>
/// A SIP datagram as text that tests edit header by header: the vendor SUBSCRIBEs copied from the
/// SIP library's samples (TestData/vendors), turned into the variants a specification needs
/// (another Event, a Require, a second Via …). Immutable: every edit returns a new instance.
/// </summary>
public sealed class SipText
{
    private readonly IReadOnlyList<string> _head;
    private readonly string _body;

    private SipText(IReadOnlyList<string> head, string body)
    {
        _head = head;
        _body = body;
    }

    /// <summary>The real snom 360 PnP SUBSCRIBE (no branch, no Max-Forwards, rport, source port 2055).</summary>
    public static SipText Snom360 => Sample("snom-snom360");

    /// <summary>The snom M700 SUBSCRIBE (RFC 3261 branch, rport, account From).</summary>
    public static SipText SnomM700 => Sample("snom-snomM700");

    /// <summary>The Yealink W52P SUBSCRIBE (bare MAC user part, no rport, Contact with user part).</summary>
    public static SipText YealinkW52P => Sample("yealink-w52p");

    /// <summary>The Grandstream GRP2612W SUBSCRIBE (upper-case %3A, port 5080).</summary>
    public static SipText GrandstreamGrp2612W => Sample("grandstream-grp2612w");

    public static SipText Sample(string name) =>
        Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "vendors", name + ".sip")));

    public static SipText Parse(string text)
    {
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0) throw new ArgumentException("no empty line", nameof(text));
        return new SipText(text[..split].Split("\r\n"), text[(split + 4)..]);
    }

    public string StartLine => _head[0];

    /// <summary>The value of the first header row called <paramref name="name"/> (exact spelling).</summary>
    public string Header(string name) =>
        _head.Skip(1).First(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))[(name.Length + 1)..].Trim();

    public SipText WithStartLine(string startLine) => new([startLine, .. _head.Skip(1)], _body);

    /// <summary>Replaces the first row of <paramref name="name"/>, or adds it before Content-Length.</summary>
    public SipText With(string name, string value)
    {
        var rows = _head.ToList();
        var i = rows.FindIndex(1, l => IsRow(l, name));
        if (i < 0) return Adding(name, value);
        rows[i] = $"{name}: {value}";
        return new SipText(rows, _body);
    }

    /// <summary>Adds a row before Content-Length even when the header already exists.</summary>
    public SipText Adding(string name, string value)
    {
        var rows = _head.ToList();
        var cl = rows.FindIndex(1, l => IsRow(l, "Content-Length"));
        rows.Insert(cl < 0 ? rows.Count : cl, $"{name}: {value}");
        return new SipText(rows, _body);
    }

    /// <summary>Adds a row right after the start line (e.g. a Via a relay put on top).</summary>
    public SipText AddingFirst(string name, string value) => new([_head[0], $"{name}: {value}", .. _head.Skip(1)], _body);

    public SipText Without(string name) => new(_head.Where((l, i) => i == 0 || !IsRow(l, name)).ToList(), _body);

    public SipText Replace(string oldText, string newText) =>
        Parse(ToString().Replace(oldText, newText, StringComparison.Ordinal));

    public byte[] ToBytes() => Encoding.UTF8.GetBytes(ToString());

    public override string ToString() => string.Join("\r\n", _head) + "\r\n\r\n" + _body;

    private static bool IsRow(string line, string name) =>
        line.StartsWith(name, StringComparison.OrdinalIgnoreCase)
        && line.AsSpan(name.Length).TrimStart(" \t").StartsWith(":");
}
