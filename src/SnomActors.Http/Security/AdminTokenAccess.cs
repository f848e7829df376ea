using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace SnomActors.Http.Security;

/// <summary>
/// The admin check with the generated credential: <c>Authorization: Bearer &lt;token&gt;</c> (CLI,
/// scripts) or HTTP Basic with user <c>admin</c> and the token as password (the browser's own
/// login prompt, which the <c>Basic</c> challenge on a 401 brings up). The presented token is hashed
/// and compared in constant time with the stored hash; failures are counted and slowed per source
/// with <see cref="FailureBackoff"/> (429 + Retry-After while blocked, even for the right token, so
/// guessing cannot continue in parallel). Nothing presented is ever logged.
/// </summary>
public sealed class AdminTokenAccess(AdminCredentialState credential, FailureBackoff backoff, SecurityCounters counters) : IAdminAccess
{
    /// <summary>The Basic user name.</summary>
    public const string UserName = "admin";

    /// <summary>The realm the browser shows in its prompt.</summary>
    public const string Realm = "SnomActors";

    /// <summary>Challenges sent with every 401: Basic first, so browsers prompt.</summary>
    public static readonly IReadOnlyList<string> Challenges = [$"Basic realm=\"{Realm}\", charset=\"UTF-8\"", $"Bearer realm=\"{Realm}\""];

    /// <inheritdoc />
    public async ValueTask<string?> ChallengeAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var decision = await CheckAsync(context, cancellationToken).ConfigureAwait(false);
        return decision.Allowed ? null : Challenges[0];
    }

    /// <inheritdoc />
    public ValueTask<AdminAccessDecision> CheckAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var source = context.Connection.RemoteIpAddress;
        if (backoff.IsBlocked(source, out var retryAfter))
        {
            counters.BackoffRefused("admin");
            return ValueTask.FromResult(AdminAccessDecision.TooManyAttempts((int)Math.Ceiling(retryAfter.TotalSeconds)));
        }
        var authorization = context.Request.Headers.Authorization.ToString();
        var (presented, malformed) = Presented(authorization);
        if (presented is null && !malformed)
            return ValueTask.FromResult(AdminAccessDecision.Unauthorized(Challenges)); // no credentials yet: the browser's first try
        if (presented is not null && CryptographicOperations.FixedTimeEquals(AdminCredentialFile.Hash(presented), credential.Sha256))
        {
            backoff.Success(source);
            // Who did it, for the records that name one (the author of a settings version).
            context.User = Principal(authorization[..authorization.IndexOf(' ', StringComparison.Ordinal)]);
            return ValueTask.FromResult(AdminAccessDecision.Allow);
        }
        counters.AdminFailure(malformed ? "malformed" : "wrong-credential");
        backoff.Failure(source);
        return ValueTask.FromResult(AdminAccessDecision.Unauthorized(Challenges));
    }

    /// <summary>The authenticated admin, named <see cref="UserName"/>, with the scheme it used (<c>Bearer</c> or <c>Basic</c>).</summary>
    internal static ClaimsPrincipal Principal(string scheme) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, UserName)],
            scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) ? "Basic" : "Bearer"));

    /// <summary>The token in a Bearer or Basic header; malformed when some header was sent but none could be read.</summary>
    internal static (string? Token, bool Malformed) Presented(string authorization)
    {
        if (string.IsNullOrWhiteSpace(authorization)) return (null, false);
        var space = authorization.IndexOf(' ');
        if (space <= 0) return (null, true);
        var scheme = authorization[..space];
        var parameter = authorization[(space + 1)..].Trim();
        if (scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            return parameter.Length > 0 ? (parameter, false) : (null, true);
        if (scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            string decoded;
            try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(parameter)); }
            catch (FormatException) { return (null, true); }
            var colon = decoded.IndexOf(':');
            if (colon < 0 || !decoded[..colon].Equals(UserName, StringComparison.Ordinal)) return (null, true);
            return (decoded[(colon + 1)..], false);
        }
        return (null, true);
    }
}
