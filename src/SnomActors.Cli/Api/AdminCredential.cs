using System.Net.Http.Headers;

namespace SnomActors.Cli.Api;

/// <summary>
/// The operator credential the CLI presents to the daemon's <c>/api</c>. The daemon generates a
/// token at its first start and writes it to <c>&lt;data&gt;/admin-token</c> (mode 0600); a CLI on the
/// same machine finds it through <c>--data</c>, so an operator never types it. Elsewhere the token
/// comes from <c>--token</c> or <c>$SNOMACTORS_TOKEN</c>.
/// </summary>
/// <param name="Scheme">The <c>Authorization</c> scheme (e.g. <c>Bearer</c>, <c>Basic</c>).</param>
/// <param name="Parameter">The scheme's credential text. Never printed or logged.</param>
public sealed record AdminCredential(string Scheme, string Parameter)
{
    /// <summary>File under the data directory holding the admin token (written by the daemon).</summary>
    public const string TokenFileName = "admin-token";

    /// <summary>Environment variable with the admin token (overrides the file, not <c>--token</c>).</summary>
    public const string TokenVariable = "SNOMACTORS_TOKEN";

    /// <summary>
    /// The credential stored in <paramref name="dataDirectory"/>, or null when there is none (no
    /// directory given, no file, or a file this user may not read — the request then goes out without
    /// <c>Authorization</c> and the daemon's 401 explains what is missing).
    /// </summary>
    public static AdminCredential? TryLoad(string? dataDirectory)
    {
        if (string.IsNullOrWhiteSpace(dataDirectory)) return null;
        var path = Path.Combine(dataDirectory, TokenFileName);
        try
        {
            if (!File.Exists(path)) return null;
            var token = File.ReadAllText(path).Trim();
            return token.Length == 0 ? null : Bearer(token);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The credential to use: <paramref name="token"/> (<c>--token</c>), else <c>$SNOMACTORS_TOKEN</c>,
    /// else the file under <paramref name="dataDirectory"/>; null when none is available.
    /// </summary>
    /// <param name="token">The <c>--token</c> value, or null.</param>
    /// <param name="dataDirectory">The resolved <c>--data</c> directory, or null.</param>
    /// <param name="environment">Reads an environment variable (tests pass their own; default the process's).</param>
    public static AdminCredential? Resolve(string? token, string? dataDirectory, Func<string, string?>? environment = null)
    {
        if (!string.IsNullOrWhiteSpace(token)) return Bearer(token.Trim());
        if ((environment ?? Environment.GetEnvironmentVariable)(TokenVariable) is { } fromEnvironment && !string.IsNullOrWhiteSpace(fromEnvironment))
            return Bearer(fromEnvironment.Trim());
        return TryLoad(dataDirectory);
    }

    /// <summary>A Bearer credential.</summary>
    public static AdminCredential Bearer(string token) => new("Bearer", token);

    /// <summary>The header value for a request.</summary>
    public AuthenticationHeaderValue ToHeader() => new(Scheme, Parameter);

    /// <summary>Keeps the secret out of exception messages and debugger views.</summary>
    public override string ToString() => $"{Scheme} ***";
}
