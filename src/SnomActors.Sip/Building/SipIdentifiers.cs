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

    private static string RandomHex(int bytes)
    {
        Span<byte> buffer = stackalloc byte[16];
        RandomNumberGenerator.Fill(buffer[..bytes]);
        return Convert.ToHexStringLower(buffer[..bytes]);
    }
}
