using System.Net;
using System.Runtime.ExceptionServices;
using System.Text;
using SnomActors.Sip.Building;
using SnomActors.Sip.Headers;
using SnomActors.Sip.Identity;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Parsing;

namespace SnomActors.Sip.Fuzz;

/// <summary>
/// The properties every datagram must satisfy, shared by the AFL harness (tests/fuzz/SnomActors.Sip.Fuzz
/// links this file) and the in-process corpus replay test, so that a crash AFL finds reproduces in
/// <c>dotnet test</c> byte for byte. A violated property throws <see cref="FuzzFindingException"/>,
/// which AFL records as a crash.
/// </summary>
/// <remarks>
/// Lives in the test project because that project's csproj compiles its folder by default while the
/// harness can link a file from anywhere; the reverse would need a change to the test csproj.
/// </remarks>
public static class SipFuzzChecks
{
    /// <summary>The packet source every builder is given; nothing is ever sent anywhere.</summary>
    public static readonly IPEndPoint Source = new(IPAddress.Parse("192.0.2.10"), 5062);

    private const string LocalTag = "fuzz0tag";
    private const string ContactUri = "sip:192.0.2.1:5060";
    private const string SentBy = "192.0.2.1:5060";
    private const string Branch = "z9hG4bKfuzz0branch";

    // Small limits drive the TooLarge / LineTooLong / TooManyHeaders paths on ordinary-sized inputs.
    private static readonly SipParserLimits TightLimits = new(MaxDatagramBytes: 512, MaxHeaderCount: 8, MaxLineLength: 96);

    // ToBytes() writes long names, unfolds rows, may add Content-Length and re-encodes undecodable
    // octets as U+FFFD (3 octets each): the re-parse must not fail on size limits the original passed.
    private static readonly SipParserLimits ReparseLimits = new(
        MaxDatagramBytes: int.MaxValue, MaxHeaderCount: SipParserLimits.Default.MaxHeaderCount + 1, MaxLineLength: int.MaxValue);

    /// <summary>
    /// Known, reported finding classes to look past during a long campaign (comma list in
    /// <c>SNOMACTORS_FUZZ_SUPPRESS</c>): <c>ip-literal</c>, <c>notify-uri-headers</c>. Only
    /// semantic properties can be suppressed, never exceptions. CI never sets it.
    /// </summary>
    public static readonly IReadOnlySet<string> Suppressed =
        (Environment.GetEnvironmentVariable("SNOMACTORS_FUZZ_SUPPRESS") ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.Ordinal);

    [ThreadStatic] private static bool _watching;
    [ThreadStatic] private static Exception? _firstChance;
    [ThreadStatic] private static string? _firstChanceStack;

    static SipFuzzChecks()
    {
        // An exception thrown anywhere under the checks is a bug even when something swallows it
        // (the parser's defensive catch does exactly that); first-chance notifications see them all.
        // Thread-static flags keep other threads' exceptions (other tests) out of the verdict.
        AppDomain.CurrentDomain.FirstChanceException += OnFirstChance;
    }

    private static void OnFirstChance(object? sender, FirstChanceExceptionEventArgs e)
    {
        if (!_watching || _firstChance is not null || e.Exception is FuzzFindingException) return;
        _firstChance = e.Exception;
        // A swallowed exception never gets an unwound stack trace; record where it was thrown.
        _firstChanceStack = new System.Diagnostics.StackTrace(1, fNeedFileInfo: true).ToString();
    }

    /// <summary>Runs every check on one input; throws <see cref="FuzzFindingException"/> on the first violated property.</summary>
    public static void Run(ReadOnlySpan<byte> input)
    {
        var catchesBefore = SipParser.DefensiveCatchCount;
        _firstChance = null;
        _firstChanceStack = null;
        _watching = true;
        try
        {
            RunChecks(input);
        }
        catch (FuzzFindingException)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw new FuzzFindingException($"exception escaped: {ex.GetType().Name}: {ex.Message}", ex);
        }
        finally
        {
            _watching = false;
        }
        if (_firstChance is { } swallowed)
            throw new FuzzFindingException(
                $"exception thrown and swallowed inside the SIP library: {swallowed.GetType().Name}: {swallowed.Message}\nthrown at:\n{_firstChanceStack}", swallowed);
        // The counter is process-wide; with the first-chance watch above this is belt and braces.
        if (SipParser.DefensiveCatchCount != catchesBefore)
            throw new FuzzFindingException("SipParser's defensive catch was hit (an exception inside the parse logic)");
    }

    private static void RunChecks(ReadOnlySpan<byte> input)
    {
        // Tight limits: only "never throws, exactly one of message/error".
        CheckParseContract(input, TightLimits, out _, out _);

        CheckParseContract(input, null, out var message, out var error);
        if (error is not null)
        {
            CheckParseError(error);
            return;
        }
        var parsed = message!;
        TouchMessage(parsed);
        CheckRoundTrip(parsed);
        if (parsed is SipRequest request) CheckRequest(request);
    }

    private static void CheckParseContract(ReadOnlySpan<byte> input, SipParserLimits? limits, out SipMessage? message, out SipParseError? error)
    {
        var ok = SipParser.TryParse(input, out message, out error, limits);
        if (ok != message is not null || (message is null) == (error is null))
            throw new FuzzFindingException($"TryParse contract broken: returned {ok}, message {(message is null ? "null" : "set")}, error {(error is null ? "null" : "set")}");
    }

    private static void CheckParseError(SipParseError error)
    {
        _ = error.ToString();
        _ = error.StatusCode;
        foreach (var h in error.Headers)
            if (h.Name is null || h.Value is null) throw new FuzzFindingException("parse error carries a header with a null name or value");
        // The daemon answers unicast parse errors with these two; neither may throw on what the parser kept.
        _ = SipResponseBuilder.BuildForParseError(error, Source, LocalTag);
        _ = SipResponseBuilder.DestinationForParseError(error, Source);
    }

    /// <summary>Reads every lazily decoded view: a parsed message promises they are all well-formed.</summary>
    private static void TouchMessage(SipMessage m)
    {
        foreach (var h in m.Headers)
            if (h.Name is null || h.Value is null) throw new FuzzFindingException("parsed message has a header with a null name or value");
        if (m.Vias is null || m.Vias.Count == 0) throw new FuzzFindingException("parsed message has no Via");
        foreach (var via in m.Vias) Require(via, "a Via element");
        _ = m.TopVia.SentBy;
        _ = m.TopVia.Branch;
        _ = m.TopVia.HasRfc3261Branch;
        // Responses go to the Via maddr when it is an IP literal: only when it is one, and the same address.
        var destination = ResponseRouting.ResponseDestination(m.TopVia, Source);
        if (m.TopVia.MAddr is { } maddr && !destination.Address.Equals(Source.Address)
            && !IsLiteralFor(maddr, destination.Address) && !Suppressed.Contains("ip-literal"))
            throw new FuzzFindingException($"Via maddr '{maddr}' is not an RFC 3261 IP literal but responses go to {destination.Address}");
        Require(m.From, "From");
        Require(m.To, "To");
        Require(m.From.Uri, "From URI");
        Require(m.To.Uri, "To URI");
        _ = m.From.Tag;
        _ = m.To.WithoutTag();
        _ = m.From.Uri.UnescapedUser;
        CheckHost(m.From.Uri, "From");
        CheckHost(m.To.Uri, "To");
        if (m.CallId is null) throw new FuzzFindingException("parsed message has a null Call-ID");
        _ = m.CSeq.ToString();
        foreach (var c in m.Contacts)
        {
            Require(c, "a Contact element");
            Require(c.Uri, "a Contact URI");
            _ = c.Uri.UnescapedUser;
            CheckHost(c.Uri, "Contact");
        }
        if (m.GetFirst(HeaderNames.Event) is not null) Require(m.Event, "Event");
        _ = m.Event?.Package;
        _ = m.Event?.Id;
        _ = m.ContentType;
        _ = m.UserAgent;
        _ = m.GetList(HeaderNames.RecordRoute);
        _ = m.Body.Length;
        _ = m.ToString();
        if (m is SipRequest r)
        {
            Require(r.RequestUri, "Request-URI");
            _ = r.RequestUri.UnescapedUser;
            CheckHost(r.RequestUri, "Request-URI");
        }
    }

    /// <summary>
    /// A URI host is taken as an address (NOTIFY destination, spoofing checks) only when it is an
    /// RFC 3261 IPv4address (four decimal 1-3 digit parts) or an IPv6reference: IPAddress.TryParse
    /// alone also accepts "10.1" (10.0.0.1), "0x7f.1" and leading-zero octets read as octal.
    /// </summary>
    private static void CheckHost(SipUri uri, string where)
    {
        if (uri.HostAddress is { } address && !IsLiteralFor(uri.Host, address) && !Suppressed.Contains("ip-literal"))
            throw new FuzzFindingException($"{where} host '{uri.Host}' is not an RFC 3261 IP literal but HostAddress says {address}");
    }

    private static bool IsLiteralFor(string host, IPAddress address)
    {
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            return host.Length > 2 && host[0] == '[' && host[^1] == ']';
        var parts = host.Split('.');
        if (parts.Length != 4) return false;
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < 4; i++)
        {
            if (parts[i].Length is < 1 or > 3 || !parts[i].All(char.IsAsciiDigit)) return false;
            if (int.Parse(parts[i], System.Globalization.CultureInfo.InvariantCulture) != bytes[i]) return false;
        }
        return true;
    }

    private static void Require(object? value, string what)
    {
        if (value is null) throw new FuzzFindingException($"parsed message exposes a null {what}");
    }

    /// <summary>The canonical form of a parsed message parses again, to the same canonical form.</summary>
    private static void CheckRoundTrip(SipMessage m)
    {
        var bytes = m.ToBytes();
        if (!SipParser.TryParse(bytes, out var again, out var error, ReparseLimits))
            throw new FuzzFindingException($"ToBytes() output does not parse again: {error}");
        if (again!.IsRequest != m.IsRequest) throw new FuzzFindingException("ToBytes() round trip changed request/response");
        var twice = again.ToBytes();
        if (!bytes.AsSpan().SequenceEqual(twice))
            throw new FuzzFindingException("ToBytes() is not stable: parse(ToBytes(m)).ToBytes() differs from ToBytes(m)");
    }

    /// <summary>What the daemon does with every parsed request, plus: what it builds must parse.</summary>
    private static void CheckRequest(SipRequest request)
    {
        _ = ServerTransactionKey.For(request);
        var identity = DeviceIdentityExtractor.Extract(request);
        _ = identity.ToString();
        _ = identity.Oui;

        var ok = SipResponseBuilder.Build(request, Source, 200, LocalTag,
            extraHeaders: [new SipHeader(HeaderNames.Contact, "<" + ContactUri + ">"), new SipHeader(HeaderNames.Expires, "0")]);
        ExpectResponse(ok, request, 200, "200 from SipResponseBuilder.Build");
        var rejected = SipResponseBuilder.Build(request, Source, 489, toTag: null);
        ExpectResponse(rejected, request, 489, "489 from SipResponseBuilder.Build");

        var dialog = NotifierDialog.FromSubscribe(request, Source, LocalTag, ContactUri);
        var notify = NotifyBuilder.Build(dialog, 1, SentBy, Branch, "active;expires=3600",
            NotifyBuilder.ApplicationUrl, NotifyBuilder.UrlBody("http://192.0.2.1:8080/settings/000413000000"));
        if (!SipParser.TryParse(notify, out var parsedNotify, out var notifyError, ReparseLimits))
        {
            if (notifyError!.Kind == SipParseErrorKind.InvalidRequestUri && request.Contact?.Uri.Headers is not null
                && Suppressed.Contains("notify-uri-headers")) return;
            throw new FuzzFindingException($"NOTIFY built from this request does not parse: {notifyError}\n{Printable(notify)}");
        }
        if (parsedNotify is not SipRequest { Method: "NOTIFY" } n || n.CallId != request.CallId)
            throw new FuzzFindingException("NOTIFY built from this request parses as something else");
    }

    private static void ExpectResponse(byte[] bytes, SipRequest request, int status, string what)
    {
        if (!SipParser.TryParse(bytes, out var parsed, out var error, ReparseLimits))
            throw new FuzzFindingException($"{what} does not parse: {error}\n{Printable(bytes)}");
        if (parsed is not SipResponse response || response.StatusCode != status)
            throw new FuzzFindingException($"{what} parses as something else than a {status}");
        if (response.CallId != request.CallId || response.CSeq.Number != request.CSeq.Number || response.CSeq.Method != request.CSeq.Method)
            throw new FuzzFindingException($"{what} does not echo Call-ID and CSeq");
        if (response.Vias.Count != request.Vias.Count)
            throw new FuzzFindingException($"{what} has {response.Vias.Count} Via elements, the request {request.Vias.Count}");
    }

    /// <summary>A message as text with control octets visible, for finding reports.</summary>
    public static string Printable(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length + 16);
        foreach (var b in bytes)
        {
            if (b == (byte)'\n') sb.Append("\\n\n");
            else if (b == (byte)'\r') sb.Append("\\r");
            else if (b is >= 0x20 and < 0x7f) sb.Append((char)b);
            else sb.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}

/// <summary>A property of the SIP library that an input violated.</summary>
public sealed class FuzzFindingException(string message, Exception? inner = null) : Exception(message, inner);
