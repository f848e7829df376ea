using System.Net.Http.Headers;

namespace SnomActors.Cli.Api;

/// <summary>
/// The operator credential the CLI presents to the daemon's <c>/api</c>. Issue 5 generates one at the
/// daemon's first start and stores it under the data directory; a CLI on the same machine finds it
/// through <c>--data</c>, so an operator never types it.
/// </summary>
/// <param name="Scheme">The <c>Authorization</c> scheme (e.g. <c>Bearer</c>, <c>Basic</c>).</param>
/// <param name="Parameter">The scheme's credential text. Never printed or logged.</param>
public sealed record AdminCredential(string Scheme, string Parameter)
{
    /// <summary>
    /// The credential stored in <paramref name="dataDirectory"/>, or null when there is none (or no
    /// directory was given). Until the admin credential lands (issue 5 item 4) the daemon's API is
    /// open and this always returns null, so requests go out without an <c>Authorization</c> header.
    /// </summary>
    public static AdminCredential? TryLoad(string? dataDirectory)
    {
        _ = dataDirectory;
        return null;
    }

    /// <summary>The header value for a request.</summary>
    public AuthenticationHeaderValue ToHeader() => new(Scheme, Parameter);

    /// <summary>Keeps the secret out of exception messages and debugger views.</summary>
    public override string ToString() => $"{Scheme} ***";
}
