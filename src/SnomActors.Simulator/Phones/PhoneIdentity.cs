using System.Globalization;
using System.Net;
using SnomActors.Simulator.Profiles;

namespace SnomActors.Simulator.Phones;

/// <summary>
/// Everything that makes one simulated phone itself, fixed before it boots and derived from the
/// run's seed, so a rerun with the same seed sends the same SUBSCRIBEs.
/// </summary>
/// <param name="Index">Position in the run (boot order).</param>
/// <param name="Profile">Vendor behaviour.</param>
/// <param name="Model">Model and firmware.</param>
/// <param name="Mac">12 lower-case hex digits, unique within the run.</param>
/// <param name="CallIdLocalPart">Call-ID before the <c>@host</c>.</param>
/// <param name="FromTag">The SUBSCRIBE's From tag (our dialog tag).</param>
/// <param name="BranchSuffix">Random part of the Via branch (for styles that send one).</param>
/// <param name="Seed">Seed of the phone's own randomness (simulated outbound loss).</param>
public sealed record PhoneIdentity(
    int Index,
    PhoneProfile Profile,
    PhoneModel Model,
    string Mac,
    string CallIdLocalPart,
    string FromTag,
    string BranchSuffix,
    int Seed)
{
    /// <summary>The Call-ID the phone uses when its address is <paramref name="local"/>.</summary>
    public string CallIdFor(IPEndPoint local) => string.Concat(CallIdLocalPart, "@", local.Address.ToString());

    /// <summary>The full branch, with the RFC 3261 magic cookie.</summary>
    public string Branch => string.Concat("z9hG4bK", BranchSuffix);
}

/// <summary>Creates the phones of a run from a vendor mix and a seed.</summary>
public static class PhonePlanner
{
    /// <summary>
    /// <paramref name="count"/> phones of <paramref name="mix"/>. MACs are unique: each vendor
    /// numbers its phones from a seeded start, spread over its OUIs.
    /// </summary>
    public static IReadOnlyList<PhoneIdentity> Plan(VendorMix mix, int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(seed);
        var profiles = mix.Assign(count);
        var perVendor = new Dictionary<PhoneProfile, (int Next, int Start)>();
        foreach (var (profile, _) in mix.Shares) perVendor[profile] = (0, random.Next(0, 1 << 24));
        var phones = new PhoneIdentity[count];
        Span<byte> buffer = stackalloc byte[8];
        for (var i = 0; i < count; i++)
        {
            var profile = profiles[i];
            var (next, start) = perVendor[profile];
            perVendor[profile] = (next + 1, start);
            var oui = profile.Ouis[next % profile.Ouis.Count];
            // The NIC part counts up per vendor, so no two phones of a run share a MAC (below 16M per vendor).
            var nic = (start + next) & 0xFFFFFF;
            if (nic == 0xFFFFFF || nic == 0) nic = 1;
            var mac = oui + nic.ToString("x6", CultureInfo.InvariantCulture);
            random.NextBytes(buffer);
            var callId = Convert.ToHexStringLower(buffer);
            random.NextBytes(buffer[..4]);
            var tag = Convert.ToHexStringLower(buffer[..4]);
            random.NextBytes(buffer[..6]);
            var branch = Convert.ToHexStringLower(buffer[..6]);
            var model = profile.Models[next % profile.Models.Count];
            phones[i] = new PhoneIdentity(i, profile, model, mac, callId, tag, branch, random.Next());
        }
        return phones;
    }
}
