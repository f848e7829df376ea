namespace SnomActors.Sip.Identity;

/// <summary>
/// MAC address normalisation shared by the SIP side (identity from a SUBSCRIBE) and the HTTP side
/// (MAC in a settings URL): always 12 lower-case hex digits, nothing else ever leaves here.
/// </summary>
public static class MacAddress
{
    /// <summary>
    /// Accepts 12 hex digits, optionally separated by <c>:</c>, <c>-</c> or <c>.</c> in any of the
    /// usual groupings (<c>00:04:13:25:c4:3a</c>, <c>0004.1325.c43a</c>, <c>00-04-13-25-C4-3A</c>),
    /// upper or lower case. All-zero and broadcast (all-F) addresses are rejected: phones never
    /// carry them and they show up in forged or placeholder requests.
    /// </summary>
    public static bool TryNormalize(ReadOnlySpan<char> text, out string mac)
    {
        mac = string.Empty;
        if (text.Length < 12 || text.Length > 17) return false;
        Span<char> digits = stackalloc char[12];
        var count = 0;
        char separator = '\0';
        foreach (var c in text)
        {
            if (IsHex(c))
            {
                if (count == 12) return false;
                digits[count++] = char.ToLowerInvariant(c);
            }
            else if (c is ':' or '-' or '.')
            {
                // One kind of separator only: "00:04-13..." is a typo or an attack, not a MAC.
                if (separator != '\0' && separator != c) return false;
                separator = c;
            }
            else
            {
                return false;
            }
        }
        if (count != 12) return false;
        if (separator != '\0' && !HasRegularGrouping(text, separator)) return false;
        if (IsAll(digits, '0') || IsAll(digits, 'f')) return false;
        mac = new string(digits);
        return true;
    }

    /// <summary>Same as <see cref="TryNormalize(ReadOnlySpan{char}, out string)"/> for a string; null is never a MAC.</summary>
    public static bool TryNormalize(string? text, out string mac)
    {
        if (text is null) { mac = string.Empty; return false; }
        return TryNormalize(text.AsSpan(), out mac);
    }

    /// <summary>Formats a normalised MAC as <c>00:04:13:25:c4:3a</c> for people to read.</summary>
    public static string ToColonForm(string normalizedMac) =>
        string.Join(':', Enumerable.Range(0, 6).Select(i => normalizedMac.Substring(i * 2, 2)));

    internal static bool IsHex(char c) => c is >= '0' and <= '9' or >= 'a' and <= 'f' or >= 'A' and <= 'F';

    private static bool IsAll(ReadOnlySpan<char> digits, char value)
    {
        foreach (var d in digits) if (d != value) return false;
        return true;
    }

    private static bool HasRegularGrouping(ReadOnlySpan<char> text, char separator)
    {
        // Groups of 2 (xx:xx:..), 4 (xxxx.xxxx.xxxx) or 6 (xxxxxx-xxxxxx), all the same size.
        var groupSize = text.IndexOf(separator);
        if (groupSize is not (2 or 4 or 6)) return false;
        var run = 0;
        foreach (var c in text)
        {
            if (c == separator)
            {
                if (run != groupSize) return false;
                run = 0;
            }
            else run++;
        }
        return run == groupSize;
    }
}
