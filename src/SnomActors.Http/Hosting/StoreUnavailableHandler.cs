using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SnomActors.Registry.Store;

namespace SnomActors.Http.Hosting;

/// <summary>
/// A store that stays unreachable after its own retries (or a registry that does not answer in
/// time) is an outage, not a bug: answer 503
/// with Retry-After (phones and the page retry) instead of a 500.
/// </summary>
internal sealed class StoreUnavailableHandler(IProblemDetailsService problems, ILogger<StoreUnavailableHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (RegistryStoreUnavailableException or Akka.Actor.AskTimeoutException) && !RegistryStoreErrors.IsTransient(exception)) return false;
        log.LogWarning("Registry store unavailable for {Method} {Path}: {Message}", context.Request.Method, context.Request.Path, exception.Message);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "5";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = 503, Title = "Service unavailable", Detail = "The device registry is unavailable; retry shortly." },
        });
    }
}
