using Microsoft.AspNetCore.Http;

namespace SnomActors.Http.Security;

/// <summary>
/// Guards the operator's JSON API (<c>/api/*</c>) and nothing else: phones' downloads, the page's
/// static files and health probes stay reachable. Issue 5 item 4 plugs the generated admin
/// credential in here; the default lets everyone in. A refusal becomes a 401 problem response with
/// the given challenge.
/// </summary>
public interface IAdminAccess
{
    /// <summary>Null when the request may proceed, otherwise the <c>WWW-Authenticate</c> challenge to send (may be empty).</summary>
    ValueTask<string?> ChallengeAsync(HttpContext context, CancellationToken cancellationToken);
}

/// <summary>No authentication: the default until issue 5 lands.</summary>
public sealed class OpenAdminAccess : IAdminAccess
{
    /// <inheritdoc />
    public ValueTask<string?> ChallengeAsync(HttpContext context, CancellationToken cancellationToken) => ValueTask.FromResult<string?>(null);
}
