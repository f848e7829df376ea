using SnomActors.Sip.Identity;

namespace SnomActors.Simulator.Profiles;

/// <summary>How a vendor's PnP SUBSCRIBE is shaped (protocol.md §5.1); one renderer per style.</summary>
public enum SubscribeStyle
{
    /// <summary><c>sip:MAC%3a&lt;HEX&gt;@domain</c>, Via with rport and no branch, no Max-Forwards.</summary>
    Snom,
    /// <summary><c>sip:MAC&lt;hex&gt;@224.0.1.75</c>, branch without rport, Contact with the MAC as user.</summary>
    Yealink,
    /// <summary><c>sip:MAC%3A&lt;HEX&gt;@224.0.1.75</c>, CSeq 20000, port 5080, branch and rport.</summary>
    Grandstream,
    /// <summary><c>sip:MAC%3A&lt;HEX&gt;@local</c>; identified by its User-Agent.</summary>
    Gigaset,
    /// <summary><c>sip:MAC=&lt;hex&gt;@224.0.1.75</c>, <c>Event:ua-profile</c> without a space, MAC in the User-Agent.</summary>
    Fanvil,
    /// <summary>snom-like URI, the Event parameter spelled <c>vender</c>.</summary>
    Panasonic,
}

/// <summary>A model and the firmware it runs.</summary>
public sealed record PhoneModel(string Name, string Firmware);

/// <summary>
/// One vendor's PnP behaviour: what its SUBSCRIBE looks like, which MAC OUIs its phones carry, from
/// which port it sends, and how patient it is (protocol.md §4.2, §5.1, §5.2).
/// </summary>
/// <param name="Vendor">Vendor key (<see cref="Vendors"/>).</param>
/// <param name="Style">SUBSCRIBE shape.</param>
/// <param name="Models">Models in the field; phone <c>i</c> of the vendor is <c>Models[i % Count]</c>.</param>
/// <param name="Ouis">Registered OUIs (6 lower hex) its MACs start with.</param>
/// <param name="SipPort">Source port the phone uses when it has its own address (captures: snom 2055, Yealink 5059, Grandstream 5080).</param>
/// <param name="GiveUpAfter">How long the phone waits for any answer (200 or NOTIFY) before giving up on PnP.</param>
/// <param name="MaxSubscribeTransmissions">How many times it sends the SUBSCRIBE at most (first send included).</param>
/// <param name="InitialCSeq">CSeq number of the SUBSCRIBE.</param>
public sealed record PhoneProfile(
    string Vendor,
    SubscribeStyle Style,
    IReadOnlyList<PhoneModel> Models,
    IReadOnlyList<string> Ouis,
    int SipPort,
    TimeSpan GiveUpAfter,
    int MaxSubscribeTransmissions,
    uint InitialCSeq)
{
    /// <summary>The User-Agent this vendor's phones send for <paramref name="model"/>.</summary>
    public string UserAgent(PhoneModel model, string mac) => Style switch
    {
        SubscribeStyle.Snom => $"{model.Name}/{model.Firmware}",
        SubscribeStyle.Yealink => $"Yealink {model.Name} {model.Firmware}",
        SubscribeStyle.Grandstream => $"Grandstream {model.Name} {model.Firmware}",
        SubscribeStyle.Gigaset => $"Gigaset {model.Name}/{model.Firmware}",
        SubscribeStyle.Fanvil => $"Fanvil {model.Name} {model.Firmware} {mac}",
        SubscribeStyle.Panasonic => $"Panasonic-{model.Name}/{model.Firmware} ({mac})",
        _ => model.Name,
    };
}

/// <summary>The vendor profiles the simulator knows (protocol.md §5.1).</summary>
public static class PhoneProfiles
{
    private static readonly TimeSpan TimerF = TimeSpan.FromSeconds(32);

    /// <summary>snom desk phones: lax, patient (Timer F), 7.1.x firmware says <c>vendor="OEM"</c>.</summary>
    public static readonly PhoneProfile Snom = new(
        Vendors.Snom, SubscribeStyle.Snom,
        [new("snom360", "7.3.14"), new("snomD785", "10.1.54.13"), new("snom300", "7.1.30"), new("snomD717", "10.1.73.16")],
        ["000413"], 2055, TimerF, 11, 1);

    /// <summary>Yealink (W52P capture, janakj/autoprov).</summary>
    public static readonly PhoneProfile Yealink = new(
        Vendors.Yealink, SubscribeStyle.Yealink,
        [new("W52P", "25.81.0.10"), new("T46S", "66.86.0.15"), new("T54W", "96.86.0.70")],
        ["001565", "805ec0", "249ad8", "44dbd2"], 5059, TimerF, 11, 1);

    /// <summary>Grandstream (GRP2612W packet in gs_tools): sends up to 5 times, stops on 200 or 500.</summary>
    public static readonly PhoneProfile Grandstream = new(
        Vendors.Grandstream, SubscribeStyle.Grandstream,
        [new("GRP2612W", "1.0.5.67"), new("GXP2170", "1.0.11.64")],
        ["000b82", "c074ad", "ec74d7"], 5080, TimeSpan.FromSeconds(12), 5, 20000);

    /// <summary>Gigaset (Maxwell 3 trace).</summary>
    public static readonly PhoneProfile Gigaset = new(
        Vendors.Gigaset, SubscribeStyle.Gigaset,
        [new("Maxwell3", "2.22.7"), new("N670", "2.48.0")],
        ["7c2f80", "589ec6"], 5060, TimerF, 11, 1);

    /// <summary>Fanvil (PLANET/Fanvil auto provision standard).</summary>
    public static readonly PhoneProfile Fanvil = new(
        Vendors.Fanvil, SubscribeStyle.Fanvil,
        [new("X303", "2.12.18.9"), new("X4U", "2.12.5.2")],
        ["0c383e", "a8c0ea"], 5060, TimerF, 11, 1);

    /// <summary>Panasonic KX-HDV/KX-UTG: waits at most 5 s for a reply, then gives up on PnP.</summary>
    public static readonly PhoneProfile Panasonic = new(
        Vendors.Panasonic, SubscribeStyle.Panasonic,
        [new("KX-HDV130", "12.014"), new("KX-UTG300", "01.133")],
        ["0080f0", "080023"], 5060, TimeSpan.FromSeconds(5), 11, 1);

    /// <summary>Every profile, in the order <c>all</c> mixes them.</summary>
    public static readonly IReadOnlyList<PhoneProfile> All = [Snom, Yealink, Grandstream, Gigaset, Fanvil, Panasonic];

    /// <summary>The profile for a vendor name (case-insensitive), or null.</summary>
    public static PhoneProfile? Find(string vendor) =>
        All.FirstOrDefault(p => p.Vendor.Equals(vendor.Trim(), StringComparison.OrdinalIgnoreCase));
}
