using System.Collections.Concurrent;

namespace SnomActors.Server.Provisioning;

/// <summary>What the operator decided about a device (issue 5 item 3), as far as the router needs to know.</summary>
public enum AdmissionVerdict
{
    /// <summary>Never seen: the unknown-device policy decides.</summary>
    Unknown,
    Allowed,
    /// <summary>Seen outside an enrolment window: listed, not provisioned until approved.</summary>
    Quarantined,
    Denied,
}

/// <summary>
/// The router's synchronous view of device admission. The registry is the source of truth; this is
/// a cache it feeds, so the SUBSCRIBE hot path never waits for a database.
/// </summary>
public interface IDeviceAdmission
{
    AdmissionVerdict Check(string mac);
}

/// <summary>A thread-safe admission cache: written by the registry side, read by the router.</summary>
public sealed class DeviceAdmissionCache : IDeviceAdmission
{
    private readonly ConcurrentDictionary<string, AdmissionVerdict> _verdicts = new(StringComparer.Ordinal);

    public AdmissionVerdict Check(string mac) => _verdicts.TryGetValue(mac, out var verdict) ? verdict : AdmissionVerdict.Unknown;

    public void Set(string mac, AdmissionVerdict verdict) => _verdicts[mac] = verdict;

    public void Remove(string mac) => _verdicts.TryRemove(mac, out _);

    public int Count => _verdicts.Count;
}
