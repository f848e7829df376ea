using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace SnomActors.Http.Downloads;

/// <summary>Strong ETags over rendered bytes and the If-None-Match comparison (RFC 9110 §8.8.3, §13.1.2).</summary>
public static class ETags
{
    /// <summary>A strong ETag: the first 128 bits of the SHA-256 of the bytes, hex, quoted.</summary>
    public static string Compute(ReadOnlySpan<byte> body)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(body, hash);
        return "\"" + Convert.ToHexStringLower(hash[..16]) + "\"";
    }

    /// <summary>
    /// True when an If-None-Match header value matches <paramref name="etag"/>: <c>*</c>, or any
    /// listed tag equal by the weak comparison (a proxy may have weakened ours).
    /// </summary>
    public static bool IfNoneMatchMatches(string? ifNoneMatch, string etag)
    {
        if (string.IsNullOrWhiteSpace(ifNoneMatch)) return false;
        if (!EntityTagHeaderValue.TryParseList([ifNoneMatch], out var tags)) return false;
        var ours = new EntityTagHeaderValue(etag);
        foreach (var tag in tags)
        {
            if (tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(ours, useStrongComparison: false)) return true;
        }
        return false;
    }
}

/// <summary>
/// Gives each phone's rendered file a Last-Modified that moves whenever its bytes change — also
/// when only its variables or device fields changed, which the document's own date does not show.
/// Without it a phone asking If-Modified-Since after a password import would get a wrong 304.
/// Kept in memory: after a restart every file counts as modified at start, which only costs a
/// phone one unnecessary download.
/// </summary>
public sealed class RenderedVersionClock(TimeProvider time)
{
    private readonly DateTimeOffset _started = Truncate(time.GetUtcNow());
    private readonly ConcurrentDictionary<string, (string ETag, DateTimeOffset Since)> _seen = new(StringComparer.Ordinal);

    /// <summary>The Last-Modified for <paramref name="mac"/> now serving <paramref name="etag"/> from a document created at <paramref name="documentCreatedAt"/>.</summary>
    public DateTimeOffset LastModified(string mac, string etag, DateTimeOffset documentCreatedAt)
    {
        var entry = _seen.AddOrUpdate(mac,
            _ => (etag, _started),
            (_, old) => old.ETag == etag ? old : (etag, Truncate(time.GetUtcNow())));
        var doc = Truncate(documentCreatedAt);
        return doc > entry.Since ? doc : entry.Since;
    }

    /// <summary>HTTP dates have whole seconds.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset t) =>
        new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
}
