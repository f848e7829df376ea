using System.Security.Cryptography;

namespace SnomActors.Sip.Building;

/// <summary>Fresh tags, branches and Call-IDs with cryptographic randomness (RFC 3261 §19.3: ≥ 32 bits).</summary>
public static class SipIdentifiers
{
    /// <summary>64 random bits as 16 lower-case hex digits.</summary>
    public static string NewTag() => RandomHex(8);

    /// <summary>A branch with the RFC 3261 magic cookie and 64 random bits.</summary>
    public static string NewBranch() => string.Concat("z9hG4bK", RandomHex(8));

    public static string NewCallId(string host) => string.Concat(RandomHex(12), "@", host);

    // One call into the OS / OpenSSL generator per 512 bytes instead of per identifier: a boot
    // storm asks for two identifiers per phone, and the per-call cost showed in its profile.
    private const int PoolBytes = 512;

    [ThreadStatic]
    private static byte[]? t_pool;

    [ThreadStatic]
    private static int t_used;

    private static string RandomHex(int bytes)
    {
        var pool = t_pool ??= new byte[PoolBytes];
        if (t_used == 0 || t_used + bytes > PoolBytes)
        {
            RandomNumberGenerator.Fill(pool);
            t_used = 0;
        }
        var slice = pool.AsSpan(t_used, bytes);
        t_used += bytes;
        var hex = Convert.ToHexStringLower(slice);
        // Handed-out bytes are not kept around in the process.
        slice.Clear();
        return hex;
    }
}
