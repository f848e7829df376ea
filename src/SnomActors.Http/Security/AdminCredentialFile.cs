using System.Security.Cryptography;
using System.Text;
using SnomActors.Server.Provisioning;

namespace SnomActors.Http.Security;

/// <summary>The admin credential's verifier as loaded at start.</summary>
/// <param name="Sha256">SHA-256 of the UTF-8 token.</param>
/// <param name="TokenPath">Where the operator (and the local CLI) finds the token.</param>
/// <param name="Created">True when this start generated it.</param>
public sealed record AdminCredentialState(byte[] Sha256, string TokenPath, bool Created);

/// <summary>
/// The generated admin credential under the data directory: <c>admin-token</c> (the token, mode
/// 0600, for the operator and the CLI on this machine) and <c>admin-token.hash</c> (its SHA-256,
/// the only thing the daemon keeps). A plain SHA-256 suffices because the token is 256 random bits:
/// nothing to guess or look up. The operator may delete <c>admin-token</c> once copied elsewhere;
/// deleting both files makes the next start generate a new credential; replacing <c>admin-token</c>
/// with a token of one's own (at least 32 characters) makes the next start adopt it.
/// </summary>
public static class AdminCredentialFile
{
    /// <summary>File with the token.</summary>
    public const string TokenFileName = "admin-token";

    /// <summary>File with the token's hash.</summary>
    public const string HashFileName = "admin-token.hash";

    /// <summary>Shortest token adopted from a hand-written file.</summary>
    public const int MinimumTokenLength = 32;

    private const string HashPrefix = "sha256:";

    /// <summary>Loads the credential, generating it at the first start. Throws <see cref="IOException"/> / <see cref="InvalidDataException"/> on unusable files.</summary>
    public static AdminCredentialState Ensure(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        Directory.CreateDirectory(dataDirectory);
        var tokenPath = Path.Combine(Path.GetFullPath(dataDirectory), TokenFileName);
        var hashPath = Path.Combine(Path.GetFullPath(dataDirectory), HashFileName);

        if (File.Exists(tokenPath))
        {
            var token = File.ReadAllText(tokenPath).Trim();
            if (token.Length < MinimumTokenLength)
                throw new InvalidDataException($"{tokenPath} holds fewer than {MinimumTokenLength} characters; delete it and {HashFileName} to generate a new credential.");
            var hash = Hash(token);
            if (!File.Exists(hashPath) || !CryptographicOperations.FixedTimeEquals(ReadHash(hashPath), hash)) WriteSecret(hashPath, HashPrefix + Convert.ToBase64String(hash) + "\n");
            return new AdminCredentialState(hash, tokenPath, Created: false);
        }
        if (File.Exists(hashPath)) return new AdminCredentialState(ReadHash(hashPath), tokenPath, Created: false);

        var fresh = DownloadTokenTable.NewToken();
        WriteSecret(tokenPath, fresh + "\n");
        var freshHash = Hash(fresh);
        WriteSecret(hashPath, HashPrefix + Convert.ToBase64String(freshHash) + "\n");
        return new AdminCredentialState(freshHash, tokenPath, Created: true);
    }

    /// <summary>SHA-256 of the UTF-8 token.</summary>
    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static byte[] ReadHash(string path)
    {
        var text = File.ReadAllText(path).Trim();
        if (!text.StartsWith(HashPrefix, StringComparison.Ordinal))
            throw new InvalidDataException($"{path} is not a SnomActors admin credential hash (expected '{HashPrefix}…').");
        try
        {
            var hash = Convert.FromBase64String(text[HashPrefix.Length..]);
            if (hash.Length == 32) return hash;
        }
        catch (FormatException) { }
        throw new InvalidDataException($"{path} does not hold a SHA-256 hash.");
    }

    /// <summary>Writes a file readable by the owner only (created 0600 on Unix, then moved into place).</summary>
    private static void WriteSecret(string path, string content)
    {
        var temp = path + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, fileOptions))
        {
            stream.Write(Encoding.UTF8.GetBytes(content));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
