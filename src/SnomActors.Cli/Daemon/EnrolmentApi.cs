using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SnomActors.Http.Security;
using SnomActors.Server.Actors;
using SnomActors.Server.Config;

namespace SnomActors.Cli.Daemon;

/// <summary>
/// <c>GET/POST/DELETE /api/enrolment</c>: the enrolment window of issue 5 item 3 ("accept unknown
/// phones for the next 30 minutes"). Behind the same admin check as the rest of <c>/api</c>.
/// </summary>
internal static class EnrolmentApi
{
    public static IEndpointRouteBuilder MapEnrolmentApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/enrolment");
        group.RequireSnomActorsAdmin();
        group.MapGet("", async (IRequiredActor<PnpRouterKey> router) =>
            Results.Ok(Render(await router.ActorRef.Ask<DialogRouter.EnrolmentStatus>(DialogRouter.GetEnrolment.Instance, TimeSpan.FromSeconds(5)))));
        group.MapPost("", async (IRequiredActor<PnpRouterKey> router, int? minutes) =>
        {
            var duration = minutes ?? 30;
            if (duration is < 1 or > 24 * 60)
                return Results.Problem(statusCode: 400, title: "Bad enrolment window", detail: "minutes must be between 1 and 1440.");
            var status = await router.ActorRef.Ask<DialogRouter.EnrolmentStatus>(new DialogRouter.OpenEnrolment(TimeSpan.FromMinutes(duration)), TimeSpan.FromSeconds(5));
            return Results.Ok(Render(status));
        });
        group.MapDelete("", async (IRequiredActor<PnpRouterKey> router) =>
            Results.Ok(Render(await router.ActorRef.Ask<DialogRouter.EnrolmentStatus>(DialogRouter.CloseEnrolment.Instance, TimeSpan.FromSeconds(5)))));
        return app;
    }

    private static object Render(DialogRouter.EnrolmentStatus status) => new
    {
        mode = status.Mode.ToString(),
        open = status.Open,
        until = status.Until,
        note = status.Mode == UnknownDevicePolicy.Enrolment ? null : "the window only matters with --admission enrolment",
    };
}
