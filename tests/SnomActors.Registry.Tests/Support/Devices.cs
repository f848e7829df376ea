using System.Net;
using SnomActors.Registry.Model;
using SnomActors.Server.Messages;
using SnomActors.Sip.Identity;

namespace SnomActors.Registry.Tests.Support;

/// <summary>Test data: devices, events and times at millisecond precision (what the stores keep).</summary>
public static class Devices
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    public static string Mac(int i) => $"000413{i:x6}";

    public static DeviceIdentity Identity(int i, string vendor = Vendors.Snom, string? model = "snom710") =>
        new(Mac(i), vendor, model, "10.1.2.3", $"{vendor}-{model}/10.1.2.3", "device");

    public static IPEndPoint Source(int i) => new(IPAddress.Parse($"10.0.{i / 250 % 250}.{i % 250 + 1}"), 5060);

    public static DeviceRecord Record(int i, DateTimeOffset? at = null, string vendor = Vendors.Snom, string? model = "snom710") => new()
    {
        Mac = Mac(i),
        Vendor = vendor,
        Model = model,
        Firmware = "10.1.2.3",
        UserAgent = $"{vendor}-{model}/10.1.2.3",
        LastIp = Source(i).Address.ToString(),
        LastPort = 5060,
        FirstSeen = at ?? T0,
        LastSeen = at ?? T0,
        CallId = $"call-{i}",
        SubscribeSeenAt = at ?? T0,
    };

    /// <summary>The four events of a successful exchange, 10 ms apart.</summary>
    public static IEnumerable<ProvisioningEvent> Exchange(int i, DateTimeOffset at, string? callId = null)
    {
        var call = callId ?? $"call-{i}";
        var mac = Mac(i);
        yield return new SubscribeSeen(call, Identity(i), Source(i), true, at);
        yield return new SubscribeAnswered(call, mac, at.AddMilliseconds(10));
        yield return new NotifySent(call, mac, $"http://10.0.0.1:8080/settings/{mac}.xml", Source(i), at.AddMilliseconds(20));
        yield return new NotifyAcknowledged(call, mac, 200, at.AddMilliseconds(30));
    }
}
