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

    /// <summary>
    /// One phone for each of <paramref name="macs"/> (12 lower-case hex digits, unique), in that
    /// order: the vendor is the one whose OUI the MAC carries (a Yealink MAC boots as a Yealink),
    /// else the next of <paramref name="unknownOuiMix"/>; the model rotates within each vendor.
    /// </summary>
    /// <exception cref="ArgumentException">A MAC is not 12 lower-case hex digits, or appears twice.</exception>
    public static IReadOnlyList<PhoneIdentity> PlanMacs(IReadOnlyList<string> macs, VendorMix unknownOuiMix, int seed)
    {
        ArgumentNullException.ThrowIfNull(macs);
        ArgumentNullException.ThrowIfNull(unknownOuiMix);
        var byOui = new Dictionary<string, PhoneProfile>(StringComparer.Ordinal);
        foreach (var profile in PhoneProfiles.All)
            foreach (var oui in profile.Ouis) byOui.TryAdd(oui, profile);
        var unknownProfiles = unknownOuiMix.Assign(macs.Count(m => m.Length < 6 || !byOui.ContainsKey(m[..6])));
        var nextUnknown = 0;
        var perVendor = new Dictionary<PhoneProfile, int>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var random = new Random(seed);
        var phones = new PhoneIdentity[macs.Count];
        Span<byte> buffer = stackalloc byte[8];
        for (var i = 0; i < macs.Count; i++)
        {
            var mac = macs[i];
            if (mac.Length != 12 || !mac.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
                throw new ArgumentException($"'{mac}' is not 12 lower-case hex digits.", nameof(macs));
            if (!seen.Add(mac)) throw new ArgumentException($"MAC {mac} is listed twice.", nameof(macs));
            var profile = byOui.TryGetValue(mac[..6], out var known) ? known : unknownProfiles[nextUnknown++];
            perVendor.TryGetValue(profile, out var n);
            perVendor[profile] = n + 1;
            random.NextBytes(buffer);
            var callId = Convert.ToHexStringLower(buffer);
            random.NextBytes(buffer[..4]);
            var tag = Convert.ToHexStringLower(buffer[..4]);
            random.NextBytes(buffer[..6]);
            var branch = Convert.ToHexStringLower(buffer[..6]);
            phones[i] = new PhoneIdentity(i, profile, profile.Models[n % profile.Models.Count], mac, callId, tag, branch, random.Next());
        }
        return phones;
    }
}
