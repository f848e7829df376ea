using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using SnomActors.Sip.Identity;

namespace SnomActors.Server.Provisioning;

/// <summary>A per-device download token that was issued or rotated and must be persisted.</summary>
/// <param name="Mac">12 lower-case hex digits.</param>
/// <param name="Token">The secret (never log it).</param>
/// <param name="At">When it was issued.</param>
public sealed record DownloadTokenIssued(string Mac, string Token, DateTimeOffset At)
{
    /// <summary>Keeps the secret out of logs that print messages.</summary>
    public override string ToString() => $"DownloadTokenIssued {{ Mac = {Mac}, Token = ***, At = {At:O} }}";
}

/// <summary>
/// The per-device secret tokens of the <see cref="DownloadProtectionMode.Token"/> policy, shared by
/// the PnP core (it puts the token into the NOTIFY URL, synchronously, at NOTIFY time) and the HTTP
/// side (it checks the token of a download). Thread-safe; reads never block.
/// </summary>
public interface IDownloadTokens
{
    /// <summary>The policy deciding which phones get a token.</summary>
    DownloadProtectionPolicy Policy { get; }

    /// <summary>
    /// The token to put into this phone's provisioning URL: null when its vendor's policy is not
    /// <see cref="DownloadProtectionMode.Token"/> or it has no MAC. Issues one the first time a phone is seen.
    /// </summary>
    string? TokenForUrl(DeviceIdentity device);

    /// <summary>The phone's token, issuing one when it has none yet.</summary>
    string GetOrIssue(string mac);

    /// <summary>The phone's token, or null when none was issued.</summary>
    string? Find(string mac);

    /// <summary>Replaces the phone's token with a fresh one (the old one stops working at once) and returns it.</summary>
    string Rotate(string mac);

    /// <summary>True when <paramref name="presented"/> is the phone's token (constant-time; false when it has none).</summary>
    bool Matches(string mac, string? presented);
}

/// <summary>
/// The in-memory token table behind <see cref="IDownloadTokens"/>. The registry loads the stored
/// tokens into it at start (<see cref="Load"/>) and persists what it issues by
/// <see cref="Attach"/>ing a sink; tokens issued before the sink is attached (a phone booting while
/// the database opens) are queued and handed over on attach, so none is lost.
/// </summary>
public sealed class DownloadTokenTable : IDownloadTokens
{
    /// <summary>Random bytes per token: 256 bits, base64url without padding (43 characters).</summary>
    public const int TokenBytes = 32;

    private readonly ConcurrentDictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Lock _sinkLock = new();
    private readonly List<DownloadTokenIssued> _unpersisted = [];
    private Action<DownloadTokenIssued>? _sink;

    /// <summary>A table for <paramref name="policy"/>.</summary>
    public DownloadTokenTable(DownloadProtectionPolicy policy, TimeProvider? time = null)
    {
        Policy = policy ?? throw new ArgumentNullException(nameof(policy));
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public DownloadProtectionPolicy Policy { get; }

    /// <summary>Number of devices holding a token.</summary>
    public int Count => _tokens.Count;

    /// <summary>A fresh random token (256 bits, base64url).</summary>
    public static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(TokenBytes));

    /// <inheritdoc />
    public string? TokenForUrl(DeviceIdentity device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.Mac is null || Policy.ModeFor(device.Vendor) != DownloadProtectionMode.Token) return null;
        return GetOrIssue(device.Mac);
    }

    /// <inheritdoc />
    public string GetOrIssue(string mac)
    {
        var key = Key(mac);
        if (_tokens.TryGetValue(key, out var existing)) return existing;
        var fresh = NewToken();
        var winner = _tokens.GetOrAdd(key, fresh);
        if (ReferenceEquals(winner, fresh)) Persist(new DownloadTokenIssued(key, fresh, _time.GetUtcNow()));
        return winner;
    }

    /// <inheritdoc />
    public string? Find(string mac) => MacAddress.TryNormalize(mac, out var key) && _tokens.TryGetValue(key, out var token) ? token : null;

    /// <inheritdoc />
    public string Rotate(string mac)
    {
        var key = Key(mac);
        var fresh = NewToken();
        _tokens[key] = fresh;
        Persist(new DownloadTokenIssued(key, fresh, _time.GetUtcNow()));
        return fresh;
    }

    /// <inheritdoc />
    public bool Matches(string mac, string? presented)
    {
        if (presented is null || Find(mac) is not { } expected) return false;
        // Compare fixed-size digests so neither the content nor the length of the token leaks through timing.
        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
    }

    /// <summary>
    /// Adds stored tokens. A token already in memory wins: it was issued after the store was read and
    /// a NOTIFY may already carry it (it is persisted over the stored one).
    /// </summary>
    public void Load(IEnumerable<KeyValuePair<string, string>> stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        foreach (var (mac, token) in stored)
            if (MacAddress.TryNormalize(mac, out var key) && token.Length > 0) _tokens.TryAdd(key, token);
    }

    /// <summary>
    /// Sets where issued tokens go to be persisted (the registry actor); hands over the ones queued so
    /// far. A later call replaces the sink (a restarted registry).
    /// </summary>
    public void Attach(Action<DownloadTokenIssued> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        List<DownloadTokenIssued> queued;
        lock (_sinkLock)
        {
            _sink = sink;
            queued = [.. _unpersisted];
            _unpersisted.Clear();
        }
        foreach (var issued in queued) sink(issued);
    }

    /// <summary>Stops handing tokens to the sink (they queue again until the next <see cref="Attach"/>).</summary>
    public void Detach()
    {
        lock (_sinkLock) _sink = null;
    }

    private void Persist(DownloadTokenIssued issued)
    {
        Action<DownloadTokenIssued>? sink;
        lock (_sinkLock)
        {
            sink = _sink;
            if (sink is null)
            {
                _unpersisted.Add(issued);
                return;
            }
        }
        sink(issued);
    }

    private static string Key(string mac) =>
        MacAddress.TryNormalize(mac, out var key) ? key : throw new ArgumentException($"'{mac}' is not a MAC address.", nameof(mac));

    /// <summary>RFC 4648 §5 base64url without padding.</summary>
    public static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
