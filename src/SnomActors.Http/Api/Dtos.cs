using SnomActors.Registry.Model;

namespace SnomActors.Http.Api;

/// <summary>Timestamps of each step of a device's last provisioning attempt.</summary>
public sealed record DeviceStepsDto(
    DateTimeOffset? SubscribeSeen, DateTimeOffset? Answered, DateTimeOffset? NotifySent, DateTimeOffset? NotifyAcked,
    DateTimeOffset? Failed, string? FailureReason, DateTimeOffset? SettingsDownloaded);

/// <summary>One settings download as the API shows it.</summary>
/// <param name="At">When the answer was sent.</param>
/// <param name="SourceIp">Client address.</param>
/// <param name="Status">HTTP status sent.</param>
/// <param name="Bytes">Body bytes sent.</param>
/// <param name="ETag">ETag sent.</param>
/// <param name="Path">Request path.</param>
/// <param name="Method"><c>GET</c> or <c>HEAD</c> (null: recorded before the daemon kept it).</param>
/// <param name="Settings">The settings document version served (null: none, or recorded before the daemon kept it).</param>
public sealed record DownloadDto(
    DateTimeOffset At, string? SourceIp, int Status, long Bytes,
    [property: System.Text.Json.Serialization.JsonPropertyName("etag")] string? ETag, string? Path,
    string? Method, SettingsSourceDto? Settings)
{
    /// <summary>Maps a registry record.</summary>
    public static DownloadDto From(DownloadRecord x) => new(x.At, x.SourceIp, x.Status, x.Bytes, x.ETag, x.Path, x.Method,
        x.Settings is { } s ? new SettingsSourceDto(s.Scope.ToKey(), s.Key, s.Version) : null);
}

/// <summary>A device as the API and the live page show it (its schema is in /openapi/v1.json).</summary>
public sealed record DeviceDto(
    string Mac, string Vendor, string? Model, string? Firmware, string? UserAgent, string? LastIp,
    DateTimeOffset FirstSeen, DateTimeOffset LastSeen, string Admission, string State, DeviceStepsDto Steps, string? NotifyUrl)
{
    /// <summary>Maps a registry record.</summary>
    public static DeviceDto From(DeviceRecord d) => new(
        d.Mac, d.Vendor, d.Model, d.Firmware, d.UserAgent, d.LastIp, d.FirstSeen, d.LastSeen,
        d.Admission.ToKey(), d.State.ToKey(),
        new DeviceStepsDto(d.SubscribeSeenAt, d.AnsweredAt, d.NotifySentAt, d.NotifyAckedAt, d.FailedAt, d.FailureReason, d.SettingsDownloadedAt),
        // The page and screenshots must not leak the download token; GET /api/devices/{mac}/token shows it on purpose.
        d.NotifyUrl is null ? null : SnomActors.Server.Provisioning.ProvisioningUrlResolver.Redact(d.NotifyUrl));
}

/// <summary>A device's download token (<c>GET /api/devices/{mac}/token</c>, <c>POST …/token/rotate</c>).</summary>
public sealed record DownloadTokenDto(string Mac, string Token);

/// <summary>A device with its downloads and variables (<c>GET /api/devices/{mac}</c>).</summary>
public sealed record DeviceDetailDto(
    string Mac, string Vendor, string? Model, string? Firmware, string? UserAgent, string? LastIp,
    DateTimeOffset FirstSeen, DateTimeOffset LastSeen, string Admission, string State, DeviceStepsDto Steps, string? NotifyUrl,
    IReadOnlyList<DownloadDto> Downloads, IReadOnlyDictionary<string, string> Variables)
{
    /// <summary>Combines a record with its downloads and variables.</summary>
    public static DeviceDetailDto From(DeviceRecord d, IEnumerable<DownloadRecord> downloads, IReadOnlyDictionary<string, string> variables)
    {
        var b = DeviceDto.From(d);
        return new(b.Mac, b.Vendor, b.Model, b.Firmware, b.UserAgent, b.LastIp, b.FirstSeen, b.LastSeen, b.Admission, b.State, b.Steps, b.NotifyUrl,
            downloads.Select(DownloadDto.From).ToList(), variables);
    }
}

/// <summary>A page of devices.</summary>
public sealed record DeviceListDto(int Total, IReadOnlyList<DeviceDto> Items);

/// <summary>One settings version without content.</summary>
public sealed record SettingsVersionDto(string Scope, string Key, int Version, string? Author, DateTimeOffset CreatedAt, long SizeBytes, string Sha256)
{
    /// <summary>Maps a registry summary.</summary>
    public static SettingsVersionDto From(SettingsVersionInfo v) => new(v.Scope.ToKey(), v.Key, v.Version, v.Author, v.CreatedAt, v.SizeBytes, v.Sha256);

    /// <summary>Maps a registry version.</summary>
    public static SettingsVersionDto From(SettingsDocumentVersion v) => new(v.Scope.ToKey(), v.Key, v.Version, v.Author, v.CreatedAt, v.SizeBytes, v.Sha256);
}

/// <summary>What an upload created.</summary>
public sealed record SettingsUploadedDto(string Scope, string Key, int Version, long SizeBytes, string Sha256);

/// <summary>A line of a diff.</summary>
public sealed record DiffLineDto(string Op, string Text);

/// <summary>Diff between two versions.</summary>
public sealed record SettingsDiffDto(int From, int To, IReadOnlyList<DiffLineDto> Lines);

/// <summary>Which document a preview (or download) was rendered from.</summary>
public sealed record SettingsSourceDto(string Scope, string Key, int Version);

/// <summary>A rendered preview.</summary>
public sealed record PreviewDto(string Mac, SettingsSourceDto Source, string Content);

/// <summary>One row of an import report.</summary>
public sealed record ImportRowDto(int Line, string Mac, string Status, string? Error);

/// <summary>An import report.</summary>
public sealed record ImportReportDto(int Accepted, int Rejected, IReadOnlyList<ImportRowDto> Rows);

/// <summary>Counts per state for the stats object.</summary>
public sealed record StateCountsDto(int Seen, int Answered, int Notified, int Provisioned, int Downloaded, int Failed);

/// <summary>One point of the provisioning chart.</summary>
public sealed record TimelinePointDto(DateTimeOffset At, int Provisioned);

/// <summary>The boot in progress: devices seen since it started and how many of them are provisioned.</summary>
public sealed record BootDto(DateTimeOffset? Started, int Total, int Provisioned);

/// <summary><c>GET /api/stats</c> and the SSE <c>stats</c> event.</summary>
public sealed record StatsDto(int Devices, StateCountsDto ByState, int LiveDialogs, IReadOnlyList<TimelinePointDto> Timeline, BootDto Boot);
