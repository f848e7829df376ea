using System.Net;
using SnomActors.Registry.Model;
using SnomActors.Server.Messages;
using SnomActors.Sip.Identity;

namespace SnomActors.Registry.Actors;

/// <summary>
/// Pure transitions of a <see cref="DeviceRecord"/> for each provisioning event. Steps of an
/// attempt only apply to the attempt (Call-ID) the device is in: a late Timer F of an old dialog
/// must not mark a phone that already re-subscribed as failed.
/// </summary>
internal static class DeviceUpdates
{
    /// <summary>Millisecond precision in UTC, what the stores keep, so memory and store agree.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset at) => DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;

    /// <summary>The identity fields from a SUBSCRIBE; what the phone did not say keeps its old value.</summary>
    private static DeviceRecord WithIdentity(DeviceRecord d, DeviceIdentity identity, IPEndPoint source, DateTimeOffset at) => d with
    {
        Vendor = identity.Vendor,
        Model = identity.Model ?? d.Model,
        Firmware = identity.Version ?? d.Firmware,
        UserAgent = identity.UserAgent ?? d.UserAgent,
        LastIp = source.Address.ToString(),
        LastPort = source.Port,
        LastSeen = Later(d.LastSeen, at),
    };

    private static DeviceRecord New(string mac, DeviceIdentity identity, DateTimeOffset at, AdmissionState admission) => new()
    {
        Mac = mac,
        Vendor = identity.Vendor,
        FirstSeen = at,
        LastSeen = at,
        Admission = admission,
    };

    /// <summary>A SUBSCRIBE: a new Call-ID starts a new attempt (previous steps cleared); the same one only refreshes identity.</summary>
    public static DeviceRecord Seen(DeviceRecord? current, string mac, SubscribeSeen e, AdmissionState admissionIfNew)
    {
        var at = Truncate(e.At);
        var d = WithIdentity(current ?? New(mac, e.Device, at, admissionIfNew), e.Device, e.Source, at);
        if (d.CallId == e.CallId) return d;
        return d with
        {
            CallId = e.CallId,
            SubscribeSeenAt = at,
            AnsweredAt = null,
            NotifySentAt = null,
            NotifyUrl = null,
            NotifyAckedAt = null,
            FailedAt = null,
            FailureReason = null,
            FailureStatus = null,
        };
    }

    /// <summary>A device seen but not provisioned (quarantine): identity and last seen only, no attempt.</summary>
    public static DeviceRecord Sighted(DeviceRecord? current, string mac, DeviceIdentity identity, IPEndPoint source, DateTimeOffset at, AdmissionState admissionIfNew)
    {
        at = Truncate(at);
        return WithIdentity(current ?? New(mac, identity, at, admissionIfNew), identity, source, at);
    }

    /// <summary>A later step of the current attempt, or null when it belongs to another attempt or device.</summary>
    public static (DeviceRecord Updated, DeviceEventKind Kind)? Step(DeviceRecord? current, ProvisioningEvent e)
    {
        if (current is null || current.CallId != e.CallId) return null;
        var at = Truncate(e.At);
        return e switch
        {
            SubscribeAnswered => (current with { AnsweredAt = at }, DeviceEventKind.Answered),
            NotifySent n => (current with { NotifySentAt = at, NotifyUrl = n.Url }, DeviceEventKind.Notified),
            NotifyAcknowledged => (current with { NotifyAckedAt = at, LastSeen = Later(current.LastSeen, at) }, DeviceEventKind.Provisioned),
            ProvisioningFailed f => (current with { FailedAt = at, FailureReason = f.Reason, FailureStatus = f.StatusCode }, DeviceEventKind.Failed),
            _ => null,
        };
    }

    /// <summary>
    /// A successful download (a GET answered 2xx or 304) marks the device; failed ones and HEADs are
    /// only kept in the downloads list: a HEAD asks whether the settings changed and fetches nothing,
    /// so it must not move the provisioning to "downloaded".
    /// </summary>
    public static DeviceRecord? Downloaded(DeviceRecord? current, DownloadRecord download)
    {
        if (current is null || !download.Succeeded) return null;
        return current with
        {
            SettingsDownloadedAt = download.At,
            LastSeen = Later(current.LastSeen, download.At),
            LastIp = download.SourceIp ?? current.LastIp,
        };
    }
}
