namespace SnomActors.Sip.Identity;

/// <summary>
/// Who a phone says it is, as far as its PnP SUBSCRIBE tells: the MAC (normalised to
/// 12 lower-case hex digits), the vendor, model and firmware version, and the raw User-Agent.
/// </summary>
/// <param name="Mac">12 lower-case hex digits, or null when the SUBSCRIBE carries no usable MAC (AudioCodes).</param>
/// <param name="Vendor">Normalised vendor key (<see cref="Vendors"/>), never null.</param>
/// <param name="Model">Model as the phone names it (<c>snom360</c>, <c>W52P</c>), or null.</param>
/// <param name="Version">Firmware version, or null.</param>
/// <param name="UserAgent">The User-Agent header verbatim, or null.</param>
/// <param name="ProfileType">The ua-profile <c>profile-type</c> parameter (<c>device</c> when absent).</param>
public sealed record DeviceIdentity(
    string? Mac,
    string Vendor,
    string? Model,
    string? Version,
    string? UserAgent,
    string ProfileType = "device")
{
    /// <summary>The first six hex digits of the MAC (the IEEE OUI), or null.</summary>
    public string? Oui => Mac is null ? null : Mac[..6];
}

/// <summary>Normalised vendor keys used in templates, settings selectors and metrics labels.</summary>
public static class Vendors
{
    public const string Snom = "snom";
    public const string Yealink = "yealink";
    public const string Grandstream = "grandstream";
    public const string Gigaset = "gigaset";
    public const string Fanvil = "fanvil";
    public const string Panasonic = "panasonic";
    public const string AudioCodes = "audiocodes";
    public const string Unknown = "unknown";

    public static readonly IReadOnlyList<string> All =
        [Snom, Yealink, Grandstream, Gigaset, Fanvil, Panasonic, AudioCodes, Unknown];
}
