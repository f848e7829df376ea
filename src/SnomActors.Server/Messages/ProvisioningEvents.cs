using System.Net;
using SnomActors.Sip.Identity;

namespace SnomActors.Server.Messages;

/// <summary>
/// Steps of one phone's PnP exchange, published on the actor system's EventStream by the
/// subscription dialogs. The device registry, the live web page and the metrics subscribe to them.
/// </summary>
public abstract record ProvisioningEvent(string CallId, string? Mac, DateTimeOffset At);

/// <summary>A SUBSCRIBE we decided to provision was seen (a new dialog started).</summary>
public sealed record SubscribeSeen(
    string CallId, DeviceIdentity Device, IPEndPoint Source, bool ViaMulticast, DateTimeOffset At)
    : ProvisioningEvent(CallId, Device.Mac, At);

/// <summary>Our 200 OK to the SUBSCRIBE went out.</summary>
public sealed record SubscribeAnswered(string CallId, string? Mac, DateTimeOffset At)
    : ProvisioningEvent(CallId, Mac, At);

/// <summary>The NOTIFY carrying the provisioning URL went out for the first time.</summary>
public sealed record NotifySent(string CallId, string? Mac, string Url, IPEndPoint Target, DateTimeOffset At)
    : ProvisioningEvent(CallId, Mac, At);

/// <summary>The phone answered our NOTIFY with a 2xx: it has its URL.</summary>
public sealed record NotifyAcknowledged(string CallId, string? Mac, int StatusCode, DateTimeOffset At)
    : ProvisioningEvent(CallId, Mac, At);

/// <summary>The exchange failed: NOTIFY rejected (<paramref name="StatusCode"/>) or never acknowledged (Timer F).</summary>
public sealed record ProvisioningFailed(string CallId, string? Mac, string Reason, int? StatusCode, DateTimeOffset At)
    : ProvisioningEvent(CallId, Mac, At);

/// <summary>
/// A phone asked outside an enrolment window and was not provisioned: the registry lists it as
/// quarantined until an operator approves it.
/// </summary>
public sealed record DeviceQuarantined(string CallId, DeviceIdentity Device, IPEndPoint Source, DateTimeOffset At)
    : ProvisioningEvent(CallId, Device.Mac, At);
