using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SnomActors.Server.Provisioning;
using SnomActors.Sip.Identity;

namespace SnomActors.Http.Security;

/// <summary>Result of checking one <c>Authorization: Digest</c> header.</summary>
public enum DigestOutcome
{
    /// <summary>No Digest credentials: challenge.</summary>
    Missing,
    /// <summary>Credentials right.</summary>
    Ok,
    /// <summary>A nonce we issued, but expired: challenge again with <c>stale=true</c> (not a failure).</summary>
    Stale,
    /// <summary>Unparseable, or a parameter missing.</summary>
    Malformed,
    /// <summary>User name is not the MAC of the URL, or another realm / URI.</summary>
    WrongUser,
    /// <summary>A nonce we never issued (or for another MAC).</summary>
    BadNonce,
    /// <summary>Response does not match (wrong password, or the phone has none).</summary>
    WrongResponse,
}

/// <summary>
/// HTTP Digest (RFC 7616) for settings downloads, user name = the phone's MAC, password = a
/// per-device variable. Offers SHA-256 and, for older phones, MD5 (both with <c>qop=auth</c>; the
/// RFC 2069 form without qop is accepted for MD5 only). Nonces are stateless: a timestamp plus an
/// HMAC over it and the MAC with a per-process key, valid for <see cref="NonceLifetime"/>; a nonce
/// for one phone does not work for another. Nonce counts are not tracked, so a captured request can
/// be replayed within the nonce lifetime — use HTTPS (protocol.md §2: digest belongs over TLS).
/// </summary>
public sealed class DigestAuthenticator
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly TimeProvider _time;

    /// <summary>An authenticator for <paramref name="realm"/>.</summary>
    public DigestAuthenticator(string realm, TimeProvider time, TimeSpan? nonceLifetime = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(realm);
        if (realm.Contains('"') || realm.Contains('\\')) throw new ArgumentException("The realm must not contain quotes or backslashes.", nameof(realm));
        Realm = realm;
        _time = time;
        NonceLifetime = nonceLifetime ?? TimeSpan.FromMinutes(5);
    }

    /// <summary>The realm (part of the password hash the phone computes).</summary>
    public string Realm { get; }

    /// <summary>How long a nonce is accepted.</summary>
    public TimeSpan NonceLifetime { get; }

    /// <summary>The <c>WWW-Authenticate</c> values for a 401: SHA-256 first (preferred), then MD5.</summary>
    public IReadOnlyList<string> Challenges(string mac, bool stale = false)
    {
        var nonce = NewNonce(mac);
        var tail = stale ? ", stale=true" : string.Empty;
        return
        [
            $"Digest realm=\"{Realm}\", qop=\"auth\", algorithm=SHA-256, nonce=\"{nonce}\"{tail}",
            $"Digest realm=\"{Realm}\", qop=\"auth\", algorithm=MD5, nonce=\"{nonce}\"{tail}",
        ];
    }

    /// <summary>Checks <paramref name="authorization"/> for a request of <paramref name="method"/> on <paramref name="requestTarget"/>.</summary>
    /// <param name="authorization">The Authorization header (any scheme).</param>
    /// <param name="method">Request method.</param>
    /// <param name="requestTarget">The raw request target (path and query) as sent.</param>
    /// <param name="mac">The MAC of the URL (12 lower hex).</param>
    /// <param name="password">The phone's password; null when it has none (the check then always fails).</param>
    public DigestOutcome Verify(string? authorization, string method, string requestTarget, string mac, string? password)
    {
        if (string.IsNullOrWhiteSpace(authorization) || !authorization.StartsWith("Digest ", StringComparison.OrdinalIgnoreCase))
            return DigestOutcome.Missing;
        var p = Parse(authorization.AsSpan(7));
        if (p is null) return DigestOutcome.Malformed;
        if (!p.TryGetValue("username", out var user) || !p.TryGetValue("realm", out var realm) || !p.TryGetValue("nonce", out var nonce)
            || !p.TryGetValue("uri", out var uri) || !p.TryGetValue("response", out var response))
            return DigestOutcome.Malformed;
        var algorithm = p.GetValueOrDefault("algorithm") ?? "MD5";
        var qop = p.GetValueOrDefault("qop");
        if (!MacAddress.TryNormalize(user, out var userMac) || userMac != mac || realm != Realm || uri != requestTarget)
            return DigestOutcome.WrongUser;
        switch (CheckNonce(nonce, mac))
        {
            case NonceState.Invalid: return DigestOutcome.BadNonce;
            case NonceState.Expired: return DigestOutcome.Stale;
        }

        Func<string, string> h;
        bool md5;
        var session = algorithm.EndsWith("-sess", StringComparison.OrdinalIgnoreCase);
        var baseAlgorithm = session ? algorithm[..^5] : algorithm;
        if (baseAlgorithm.Equals("SHA-256", StringComparison.OrdinalIgnoreCase)) (h, md5) = (Sha256Hex, false);
        else if (baseAlgorithm.Equals("MD5", StringComparison.OrdinalIgnoreCase)) (h, md5) = (Md5Hex, true);
        else return DigestOutcome.Malformed;

        string expected;
        var cnonce = p.GetValueOrDefault("cnonce");
        var ha1 = h($"{user}:{Realm}:{password ?? string.Empty}");
        if (session)
        {
            if (cnonce is null) return DigestOutcome.Malformed;
            ha1 = h($"{ha1}:{nonce}:{cnonce}");
        }
        var ha2 = h($"{method}:{uri}");
        if (qop is null)
        {
            // RFC 2069 compatibility (very old phones): MD5 only.
            if (!md5 || session) return DigestOutcome.Malformed;
            expected = h($"{ha1}:{nonce}:{ha2}");
        }
        else
        {
            if (!qop.Equals("auth", StringComparison.OrdinalIgnoreCase) || cnonce is null || !p.TryGetValue("nc", out var nc)) return DigestOutcome.Malformed;
            expected = h($"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}");
        }
        var match = CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(response.ToLowerInvariant()));
        return match && password is not null ? DigestOutcome.Ok : DigestOutcome.WrongResponse;
    }

    private enum NonceState { Valid, Expired, Invalid }

    private string NewNonce(string mac)
    {
        Span<byte> raw = stackalloc byte[8 + 16];
        BinaryPrimitives.WriteInt64BigEndian(raw, _time.GetUtcNow().ToUnixTimeMilliseconds());
        Mac(raw[..8], mac).AsSpan(0, 16).CopyTo(raw[8..]);
        return DownloadTokenTable.Base64Url(raw);
    }

    private NonceState CheckNonce(string nonce, string mac)
    {
        byte[] raw;
        try
        {
            var b64 = nonce.Replace('-', '+').Replace('_', '/');
            raw = Convert.FromBase64String(b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '='));
        }
        catch (FormatException) { return NonceState.Invalid; }
        if (raw.Length != 24) return NonceState.Invalid;
        if (!CryptographicOperations.FixedTimeEquals(raw.AsSpan(8), Mac(raw.AsSpan(0, 8), mac).AsSpan(0, 16))) return NonceState.Invalid;
        var issued = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(raw));
        var age = _time.GetUtcNow() - issued;
        return age < TimeSpan.FromSeconds(-5) || age > NonceLifetime ? NonceState.Expired : NonceState.Valid;
    }

    private byte[] Mac(ReadOnlySpan<byte> timestamp, string mac)
    {
        var data = new byte[timestamp.Length + mac.Length];
        timestamp.CopyTo(data);
        Encoding.ASCII.GetBytes(mac, data.AsSpan(timestamp.Length));
        return HMACSHA256.HashData(_key, data);
    }

    /// <summary>Lower-case hex SHA-256 of the UTF-8 text.</summary>
    public static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Lower-case hex MD5 of the UTF-8 text (RFC 7616 keeps MD5 for backward compatibility).</summary>
#pragma warning disable CA5351 // Digest MD5 is what older phones speak; offered after SHA-256.
    public static string Md5Hex(string text) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(text)));
#pragma warning restore CA5351

    /// <summary>Parses <c>name=value, name="quoted"</c> auth-params; null when malformed.</summary>
    internal static Dictionary<string, string>? Parse(ReadOnlySpan<char> text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (true)
        {
            while (i < text.Length && (text[i] == ' ' || text[i] == '\t' || text[i] == ',')) i++;
            if (i >= text.Length) return result;
            var eq = text[i..].IndexOf('=');
            if (eq <= 0) return null;
            var name = text.Slice(i, eq).Trim().ToString();
            i += eq + 1;
            while (i < text.Length && text[i] == ' ') i++;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var sb = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= text.Length) return null;
                    if (text[i] == '\\' && i + 1 < text.Length) { sb.Append(text[i + 1]); i += 2; continue; }
                    if (text[i] == '"') { i++; break; }
                    sb.Append(text[i++]);
                }
                value = sb.ToString();
            }
            else
            {
                var end = text[i..].IndexOf(',');
                var raw = end < 0 ? text[i..] : text.Slice(i, end);
                value = raw.Trim().ToString();
                i += raw.Length;
            }
            if (name.Length == 0 || !result.TryAdd(name, value)) return null;
        }
    }

    /// <summary>Builds a client's Authorization header (tests and tools).</summary>
    public static string ClientHeader(string challenge, string user, string password, string method, string uri, string cnonce, int nc = 1)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        var p = Parse(challenge.AsSpan(challenge.IndexOf(' ') + 1)) ?? throw new FormatException("bad challenge");
        var algorithm = p.GetValueOrDefault("algorithm") ?? "MD5";
        Func<string, string> h = algorithm.StartsWith("SHA-256", StringComparison.OrdinalIgnoreCase) ? Sha256Hex : Md5Hex;
        var ncText = nc.ToString("x8", CultureInfo.InvariantCulture);
        var ha1 = h($"{user}:{p["realm"]}:{password}");
        var ha2 = h($"{method}:{uri}");
        var response = h($"{ha1}:{p["nonce"]}:{ncText}:{cnonce}:auth:{ha2}");
        return $"Digest username=\"{user}\", realm=\"{p["realm"]}\", nonce=\"{p["nonce"]}\", uri=\"{uri}\", algorithm={algorithm}, " +
               $"qop=auth, nc={ncText}, cnonce=\"{cnonce}\", response=\"{response}\"";
    }
}
