using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using SnomActors.Http.Api;

namespace SnomActors.Http.Hosting;

/// <summary>
/// Refuses request targets that try to walk the path: dot segments (raw or percent-encoded),
/// encoded slashes or backslashes, NUL. Kestrel would quietly normalise <c>/settings/../x</c> into
/// <c>/x</c>; no honest phone or page sends such a URL, so it gets a 400 before routing or static
/// files see it.
/// </summary>
internal static class HostilePathMiddleware
{
    public static bool IsHostile(string rawTarget)
    {
        var q = rawTarget.IndexOf('?');
        var path = q >= 0 ? rawTarget.AsSpan(0, q) : rawTarget.AsSpan();
        if (path.Contains('\\') || path.Contains('\0')) return true;
        if (path.Contains("%2e", StringComparison.OrdinalIgnoreCase) || path.Contains("%2f", StringComparison.OrdinalIgnoreCase)
            || path.Contains("%5c", StringComparison.OrdinalIgnoreCase) || path.Contains("%00", StringComparison.Ordinal)
            || path.Contains("%25", StringComparison.Ordinal))
            return true;
        foreach (var segment in path.ToString().Split('/'))
            if (segment is "." or "..") return true;
        return false;
    }

    public static async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? string.Empty;
        if (IsHostile(raw) || (context.Request.Path.Value?.Contains('\0') ?? false))
        {
            await Problems.BadRequest("The request path is not acceptable.").ExecuteAsync(context);
            return;
        }
        await next();
    }
}
