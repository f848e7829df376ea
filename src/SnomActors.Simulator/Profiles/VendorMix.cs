using System.Globalization;

namespace SnomActors.Simulator.Profiles;

/// <summary>
/// Which vendors a simulated office has and in what proportion: parsed from a CLI string such as
/// <c>snom=50,yealink=30,grandstream=20</c>, <c>snom,yealink</c> (equal shares), <c>snom</c>, or <c>all</c>.
/// </summary>
public sealed class VendorMix
{
    private VendorMix(IReadOnlyList<(PhoneProfile Profile, int Weight)> shares) => Shares = shares;

    /// <summary>Profiles with their positive weights, in the order given.</summary>
    public IReadOnlyList<(PhoneProfile Profile, int Weight)> Shares { get; }

    /// <summary>Every known vendor with equal weight.</summary>
    public static VendorMix All { get; } = new(PhoneProfiles.All.Select(p => (p, 1)).ToList());

    /// <summary>Parses a mix; false with a message naming the problem.</summary>
    public static bool TryParse(string? text, out VendorMix mix, out string error)
    {
        mix = All;
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(text)) { error = "empty vendor mix"; return false; }
        if (text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)) return true;
        var shares = new List<(PhoneProfile, int)>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            var name = eq < 0 ? part : part[..eq].Trim();
            var weight = 1;
            if (eq >= 0 && (!int.TryParse(part[(eq + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out weight) || weight < 0))
            {
                error = $"'{part}': the weight must be a non-negative integer";
                return false;
            }
            var profile = PhoneProfiles.Find(name);
            if (profile is null)
            {
                error = $"unknown vendor '{name}' (known: {string.Join(", ", PhoneProfiles.All.Select(p => p.Vendor))}, all)";
                return false;
            }
            if (shares.Any(s => s.Item1 == profile)) { error = $"vendor '{name}' given twice"; return false; }
            if (weight > 0) shares.Add((profile, weight));
        }
        if (shares.Count == 0) { error = "the vendor mix has no vendor with a positive weight"; return false; }
        mix = new VendorMix(shares);
        return true;
    }

    /// <summary>Parses a mix or throws <see cref="FormatException"/>.</summary>
    public static VendorMix Parse(string text) =>
        TryParse(text, out var mix, out var error) ? mix : throw new FormatException(error);

    /// <summary>
    /// The vendor of each of <paramref name="count"/> phones, interleaved by smooth weighted
    /// round-robin so that any prefix of the sequence (phones booted so far) keeps the proportions.
    /// </summary>
    public IReadOnlyList<PhoneProfile> Assign(int count)
    {
        var result = new PhoneProfile[count];
        var current = new long[Shares.Count];
        var total = Shares.Sum(s => (long)s.Weight);
        for (var i = 0; i < count; i++)
        {
            var best = 0;
            for (var j = 0; j < Shares.Count; j++)
            {
                current[j] += Shares[j].Weight;
                if (current[j] > current[best]) best = j;
            }
            current[best] -= total;
            result[i] = Shares[best].Profile;
        }
        return result;
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(",", Shares.Select(s => $"{s.Profile.Vendor}={s.Weight}"));
}
