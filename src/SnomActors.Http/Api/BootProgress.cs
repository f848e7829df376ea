using SnomActors.Registry.Model;

namespace SnomActors.Http.Api;

/// <summary>
/// "N of M provisioned" for the boot in progress. A boot is the latest run of SUBSCRIBEs with no
/// gap longer than <c>quietGap</c> between consecutive ones: after a power cut hundreds of phones
/// start within minutes, while a phone plugged in next week starts a new boot of one.
/// </summary>
public static class BootProgress
{
    /// <summary>Default quiet gap that separates two boots.</summary>
    public static readonly TimeSpan DefaultQuietGap = TimeSpan.FromMinutes(5);

    /// <summary>Computes the latest boot from the devices' last SUBSCRIBE times.</summary>
    public static BootDto Compute(IEnumerable<DeviceRecord> devices, TimeSpan quietGap)
    {
        var inAttempt = devices.Where(d => d.SubscribeSeenAt is not null)
            .OrderByDescending(d => d.SubscribeSeenAt)
            .ToList();
        if (inAttempt.Count == 0) return new BootDto(null, 0, 0);
        var started = inAttempt[0].SubscribeSeenAt!.Value;
        var count = 1;
        for (; count < inAttempt.Count; count++)
        {
            var at = inAttempt[count].SubscribeSeenAt!.Value;
            if (started - at > quietGap) break;
            started = at;
        }
        var provisioned = inAttempt.Take(count).Count(d => d.State is DeviceState.Provisioned or DeviceState.Downloaded);
        return new BootDto(started, count, provisioned);
    }
}
