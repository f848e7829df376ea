namespace SnomActors.Simulator.Phones;

/// <summary>How one phone's PnP attempt ended.</summary>
public enum PhoneOutcome
{
    /// <summary>NOTIFY received and answered, settings downloaded (or download disabled).</summary>
    Provisioned,
    /// <summary>Neither a 200 nor a NOTIFY within the phone's patience.</summary>
    NoAnswer,
    /// <summary>The SUBSCRIBE was answered with 200 but no NOTIFY came within Timer N (32 s).</summary>
    NotifyMissing,
    /// <summary>The NOTIFY came but the settings download failed.</summary>
    DownloadFailed,
    /// <summary>The SUBSCRIBE got a final error response (see <see cref="PhoneResult.StatusCode"/>).</summary>
    Rejected,
    /// <summary>The NOTIFY's body was not a URL this phone would use.</summary>
    BadNotify,
    /// <summary>The simulation ended before the phone finished.</summary>
    Unfinished,
}

/// <summary>The steps a phone reports while it runs (for the live progress bar).</summary>
public enum PhoneStep
{
    /// <summary>Sent its first SUBSCRIBE.</summary>
    Booted,
    /// <summary>Got the 200 to its SUBSCRIBE.</summary>
    Answered,
    /// <summary>Got the NOTIFY.</summary>
    Notified,
    /// <summary>Downloaded its settings.</summary>
    Downloaded,
}

/// <summary>A phone reached <paramref name="Step"/>.</summary>
public sealed record PhoneProgress(int Index, PhoneStep Step);

/// <summary>One phone's record of its PnP attempt, times from the actor system's scheduler clock.</summary>
/// <param name="Index">Phone index in the run.</param>
/// <param name="Mac">12 lower-case hex digits.</param>
/// <param name="Vendor">Vendor key.</param>
/// <param name="Model">Model name.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="StatusCode">Final SUBSCRIBE response code for <see cref="PhoneOutcome.Rejected"/>, HTTP status for downloads.</param>
/// <param name="Detail">Human-readable reason for a failure.</param>
/// <param name="BootedAt">Boot (first SUBSCRIBE built).</param>
/// <param name="FirstSubscribeAt">First SUBSCRIBE handed to the transport.</param>
/// <param name="AnsweredAt">First 2xx to the SUBSCRIBE.</param>
/// <param name="NotifiedAt">First NOTIFY.</param>
/// <param name="DownloadedAt">Settings downloaded.</param>
/// <param name="FinishedAt">Outcome decided.</param>
/// <param name="SubscribeTransmissions">SUBSCRIBEs sent, first one included.</param>
/// <param name="NotifiesReceived">NOTIFYs received, retransmissions included.</param>
/// <param name="Url">The URL the phone fetched (or would have).</param>
/// <param name="BytesDownloaded">Settings size.</param>
public sealed record PhoneResult(
    int Index,
    string Mac,
    string Vendor,
    string Model,
    PhoneOutcome Outcome,
    int? StatusCode,
    string? Detail,
    DateTimeOffset BootedAt,
    DateTimeOffset FirstSubscribeAt,
    DateTimeOffset? AnsweredAt,
    DateTimeOffset? NotifiedAt,
    DateTimeOffset? DownloadedAt,
    DateTimeOffset FinishedAt,
    int SubscribeTransmissions,
    int NotifiesReceived,
    string? Url,
    long BytesDownloaded)
{
    /// <summary>SUBSCRIBE → 200.</summary>
    public TimeSpan? SubscribeToAnswer => AnsweredAt - FirstSubscribeAt;

    /// <summary>SUBSCRIBE → NOTIFY.</summary>
    public TimeSpan? SubscribeToNotify => NotifiedAt - FirstSubscribeAt;

    /// <summary>Boot → settings downloaded.</summary>
    public TimeSpan? BootToDownloaded => DownloadedAt - BootedAt;

    /// <summary>Outcome as written in reports: <c>provisioned</c>, <c>no-answer</c>, <c>rejected(503)</c> …</summary>
    public string OutcomeLabel => OutcomeText(Outcome, StatusCode);

    /// <summary>The report spelling of an outcome.</summary>
    public static string OutcomeText(PhoneOutcome outcome, int? statusCode = null) => outcome switch
    {
        PhoneOutcome.Provisioned => "provisioned",
        PhoneOutcome.NoAnswer => "no-answer",
        PhoneOutcome.NotifyMissing => "notify-missing",
        PhoneOutcome.DownloadFailed => "download-failed",
        PhoneOutcome.Rejected => statusCode is { } code ? $"rejected({code})" : "rejected",
        PhoneOutcome.BadNotify => "bad-notify",
        PhoneOutcome.Unfinished => "unfinished",
        _ => outcome.ToString(),
    };
}
