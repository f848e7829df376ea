using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace SnomActors.Http.Security;

/// <summary>
/// The one admin check every operator endpoint goes through (<c>/api/*</c>, and <c>/metrics</c> when
/// configured): asks <see cref="IAdminAccess.CheckAsync"/> and answers 401 problem + challenges or
/// 429 problem + Retry-After.
/// </summary>
public static class AdminAccessFilter
{
    /// <summary>Puts the admin check in front of every endpoint of <paramref name="builder"/> (e.g. a <c>MapGroup("/api/…")</c>).</summary>
    public static TBuilder RequireSnomActorsAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) =>
            await CheckAsync(context.HttpContext).ConfigureAwait(false) ?? await next(context).ConfigureAwait(false));
        return builder;
    }

    /// <summary>Null when the request may proceed; otherwise the refusal to return (headers already set).</summary>
    public static async ValueTask<IResult?> CheckAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var access = context.RequestServices.GetRequiredService<IAdminAccess>();
        var decision = await access.CheckAsync(context, context.RequestAborted).ConfigureAwait(false);
        if (decision.Allowed) return null;
        if (decision.StatusCode == StatusCodes.Status429TooManyRequests)
        {
            context.Response.Headers.RetryAfter = (decision.RetryAfterSeconds ?? 1).ToString(CultureInfo.InvariantCulture);
            return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
                detail: "Too many failed authentication attempts from this address; retry later.");
        }
        if (decision.Challenges is { Count: > 0 } challenges) context.Response.Headers.WWWAuthenticate = new StringValues([.. challenges]);
        return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: "The operator API needs authentication: the admin token is in <data>/admin-token on the daemon's machine " +
                    "(Authorization: Bearer <token>, or user 'admin' with the token as password; the CLI reads it through --data).");
    }
}
