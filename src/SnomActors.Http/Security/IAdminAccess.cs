using Microsoft.AspNetCore.Http;

namespace SnomActors.Http.Security;

/// <summary>What <see cref="IAdminAccess.CheckAsync"/> decided about one request.</summary>
/// <param name="Allowed">True: the request may proceed.</param>
/// <param name="StatusCode">401 (with <paramref name="Challenges"/>) or 429 (with <paramref name="RetryAfterSeconds"/>).</param>
/// <param name="Challenges"><c>WWW-Authenticate</c> values to send with a 401 (may be empty).</param>
/// <param name="RetryAfterSeconds">For a 429: when the source may try again.</param>
public sealed record AdminAccessDecision(bool Allowed, int StatusCode = StatusCodes.Status200OK, IReadOnlyList<string>? Challenges = null, int? RetryAfterSeconds = null)
{
    /// <summary>Proceed.</summary>
    public static readonly AdminAccessDecision Allow = new(true);

    /// <summary>401 with these challenges.</summary>
    public static AdminAccessDecision Unauthorized(IReadOnlyList<string> challenges) => new(false, StatusCodes.Status401Unauthorized, challenges);

    /// <summary>429: too many failed attempts from this source.</summary>
    public static AdminAccessDecision TooManyAttempts(int retryAfterSeconds) => new(false, StatusCodes.Status429TooManyRequests, null, retryAfterSeconds);
}

/// <summary>
/// Guards the operator's JSON API (<c>/api/*</c>) and nothing else: phones' downloads, the page's
/// static files and health probes stay reachable. The daemon plugs in <see cref="AdminTokenAccess"/>
/// (the generated admin credential, issue 5 item 4) through <c>AddSnomActorsSecurity</c>; without it
/// everyone is let in. A refusal becomes a 401 problem response with the given challenge, or a 429
/// after repeated failures from one source.
/// </summary>
public interface IAdminAccess
{
    /// <summary>Null when the request may proceed, otherwise the <c>WWW-Authenticate</c> challenge to send (may be empty).</summary>
    ValueTask<string?> ChallengeAsync(HttpContext context, CancellationToken cancellationToken);

    /// <summary>
    /// The full decision (401 with several challenges, or 429 with Retry-After). The default wraps
    /// <see cref="ChallengeAsync"/>; <see cref="AdminAccessFilter"/> calls this one.
    /// </summary>
    async ValueTask<AdminAccessDecision> CheckAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var challenge = await ChallengeAsync(context, cancellationToken).ConfigureAwait(false);
        if (challenge is null) return AdminAccessDecision.Allow;
        return AdminAccessDecision.Unauthorized(challenge.Length > 0 ? [challenge] : []);
    }
}

/// <summary>No authentication: the default of the HTTP library, and the daemon's with <c>SnomActors:Http:AdminAuth=false</c>.</summary>
public sealed class OpenAdminAccess : IAdminAccess
{
    /// <inheritdoc />
    public ValueTask<string?> ChallengeAsync(HttpContext context, CancellationToken cancellationToken) => ValueTask.FromResult<string?>(null);
}
