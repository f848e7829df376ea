using System.Text;

namespace SnomActors.Sip.Building;

/// <summary>
/// A per-thread StringBuilder for rendering outbound messages, so building a 200 or a NOTIFY
/// allocates only the final byte array.
/// </summary>
internal static class SipTextBuffer
{
    [ThreadStatic] private static StringBuilder? _cached;

    public static StringBuilder Rent()
    {
        var sb = _cached ?? new StringBuilder(1024);
        _cached = null;
        sb.Clear();
        return sb;
    }

    /// <summary>Encodes head (UTF-8) + body into one array and returns the builder to the cache.</summary>
    public static byte[] ToBytesAndReturn(StringBuilder sb, ReadOnlySpan<byte> body)
    {
        var length = 0;
        foreach (var chunk in sb.GetChunks()) length += Encoding.UTF8.GetByteCount(chunk.Span);
        var bytes = new byte[length + body.Length];
        var offset = 0;
        foreach (var chunk in sb.GetChunks()) offset += Encoding.UTF8.GetBytes(chunk.Span, bytes.AsSpan(offset));
        body.CopyTo(bytes.AsSpan(offset));
        if (sb.Capacity <= 8192) _cached = sb;
        return bytes;
    }
}
