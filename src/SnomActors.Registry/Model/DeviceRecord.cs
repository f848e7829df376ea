namespace SnomActors.Registry.Model;

/// <summary>Whether a device may be provisioned (issue 5: quarantine until an operator approves).</summary>
public enum AdmissionState
{
    /// <summary>Provisioned when it asks (the default on first start).</summary>
    Allowed,
    /// <summary>Seen and listed, not provisioned until an operator approves it.</summary>
    Quarantined,
    /// <summary>Never provisioned.</summary>
    Denied,
}

/// <summary>How far the last provisioning attempt of a device got; derived from its timestamps.</summary>
public enum DeviceState
{
    /// <summary>A SUBSCRIBE was seen, nothing sent yet.</summary>
    Seen,
    /// <summary>Our 200 OK to the SUBSCRIBE went out.</summary>
    Answered,
    /// <summary>The NOTIFY with the settings URL went out.</summary>
    Notified,
    /// <summary>The phone acknowledged the NOTIFY: it has its URL.</summary>
    Provisioned,
    /// <summary>The phone downloaded its settings.</summary>
    Downloaded,
    /// <summary>The NOTIFY was rejected or never acknowledged.</summary>
    Failed,
}

/// <summary>
/// One phone as the registry knows it: identity, where it was last seen, whether it may be
/// provisioned, and the timestamps of each step of its last provisioning attempt (one SUBSCRIBE
/// dialog, identified by <see cref="CallId"/>). Timestamps have millisecond precision, in UTC.
/// </summary>
public sealed record DeviceRecord
{
    /// <summary>12 lower-case hex digits.</summary>
    public required string Mac { get; init; }
    /// <summary>Normalised vendor key (<c>snom</c>, <c>yealink</c>, … <c>unknown</c>).</summary>
    public required string Vendor { get; init; }
    /// <summary>Model as the phone names it, or null.</summary>
    public string? Model { get; init; }
    /// <summary>Firmware version, or null.</summary>
    public string? Firmware { get; init; }
    /// <summary>The User-Agent verbatim, or null.</summary>
    public string? UserAgent { get; init; }
    /// <summary>Source address of the last SUBSCRIBE or download.</summary>
    public string? LastIp { get; init; }
    /// <summary>Source port of the last SUBSCRIBE.</summary>
    public int? LastPort { get; init; }
    /// <summary>When the registry first heard of the device.</summary>
    public required DateTimeOffset FirstSeen { get; init; }
    /// <summary>When the device last sent us anything (SUBSCRIBE, NOTIFY answer, download).</summary>
    public required DateTimeOffset LastSeen { get; init; }
    /// <summary>Admission (allowed / quarantined / denied).</summary>
    public AdmissionState Admission { get; init; } = AdmissionState.Allowed;

    /// <summary>Call-ID of the last provisioning attempt.</summary>
    public string? CallId { get; init; }
    /// <summary>When the SUBSCRIBE of the last attempt was seen.</summary>
    public DateTimeOffset? SubscribeSeenAt { get; init; }
    /// <summary>When our 200 OK to it went out.</summary>
    public DateTimeOffset? AnsweredAt { get; init; }
    /// <summary>When the NOTIFY went out (first transmission).</summary>
    public DateTimeOffset? NotifySentAt { get; init; }
    /// <summary>The settings URL the NOTIFY carried.</summary>
    public string? NotifyUrl { get; init; }
    /// <summary>When the phone answered the NOTIFY with a 2xx.</summary>
    public DateTimeOffset? NotifyAckedAt { get; init; }
    /// <summary>When the attempt failed.</summary>
    public DateTimeOffset? FailedAt { get; init; }
    /// <summary>Why it failed (e.g. <c>timeout</c>, <c>rejected</c>).</summary>
    public string? FailureReason { get; init; }
    /// <summary>The SIP status of a rejected NOTIFY, if any.</summary>
    public int? FailureStatus { get; init; }
    /// <summary>When the phone last downloaded its settings successfully (2xx or 304).</summary>
    public DateTimeOffset? SettingsDownloadedAt { get; init; }

    /// <summary>How far the last attempt got (computed, never stored independently of the timestamps).</summary>
    public DeviceState State => DeviceStates.Derive(this);
}

/// <summary>The one place that turns a device's timestamps into a <see cref="DeviceState"/>.</summary>
public static class DeviceStates
{
    /// <summary>
    /// A download at or after the last SUBSCRIBE (and after any failure) wins: a phone that got
    /// its NOTIFY but whose 2xx was lost still fetched its settings. Otherwise a failure, then the
    /// furthest step reached.
    /// </summary>
    public static DeviceState Derive(DeviceRecord d)
    {
        if (d.SettingsDownloadedAt is { } dl
            && (d.SubscribeSeenAt is null || dl >= d.SubscribeSeenAt)
            && (d.FailedAt is null || dl >= d.FailedAt))
            return DeviceState.Downloaded;
        if (d.FailedAt is not null) return DeviceState.Failed;
        if (d.NotifyAckedAt is not null) return DeviceState.Provisioned;
        if (d.NotifySentAt is not null) return DeviceState.Notified;
        if (d.AnsweredAt is not null) return DeviceState.Answered;
        return DeviceState.Seen;
    }

    /// <summary>Lower-case name used in the store and the JSON API.</summary>
    public static string ToKey(this DeviceState state) => state switch
    {
        DeviceState.Seen => "seen",
        DeviceState.Answered => "answered",
        DeviceState.Notified => "notified",
        DeviceState.Provisioned => "provisioned",
        DeviceState.Downloaded => "downloaded",
        DeviceState.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <summary>Parses <see cref="ToKey(DeviceState)"/> output (case-insensitive).</summary>
    public static bool TryParse(string? key, out DeviceState state)
    {
        foreach (var s in Enum.GetValues<DeviceState>())
            if (string.Equals(s.ToKey(), key, StringComparison.OrdinalIgnoreCase)) { state = s; return true; }
        state = default;
        return false;
    }

    /// <summary>Lower-case name used in the store and the JSON API.</summary>
    public static string ToKey(this AdmissionState state) => state switch
    {
        AdmissionState.Allowed => "allowed",
        AdmissionState.Quarantined => "quarantined",
        AdmissionState.Denied => "denied",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <summary>Parses <see cref="ToKey(AdmissionState)"/> output (case-insensitive).</summary>
    public static bool TryParse(string? key, out AdmissionState state)
    {
        foreach (var s in Enum.GetValues<AdmissionState>())
            if (string.Equals(s.ToKey(), key, StringComparison.OrdinalIgnoreCase)) { state = s; return true; }
        state = default;
        return false;
    }
}
