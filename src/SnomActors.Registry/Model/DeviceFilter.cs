namespace SnomActors.Registry.Model;

/// <summary>
/// The device-list filter semantics, in one place for the in-memory view of the registry actor
/// and the SQL of the stores, so both answer a <see cref="DeviceQuery"/> the same way.
/// </summary>
public static class DeviceFilter
{
    /// <summary>Maximum page size.</summary>
    public const int MaxLimit = 10_000;

    /// <summary>The search text lower-cased, and the form matched against MACs (separators removed when it looks like a MAC).</summary>
    public sealed record Search(string Text, string MacText);

    /// <summary>Null when the query has no search text.</summary>
    public static Search? Prepare(DeviceQuery query)
    {
        var text = query.Search?.Trim();
        if (string.IsNullOrEmpty(text)) return null;
        var lower = text.ToLowerInvariant();
        var looksLikeMac = lower.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f' or ':' or '-' or '.');
        var macText = looksLikeMac ? new string(lower.Where(c => c is not (':' or '-' or '.')).ToArray()) : lower;
        return new Search(lower, macText);
    }

    /// <summary>Clamped offset and limit.</summary>
    public static (int Offset, int Limit) Page(DeviceQuery query) =>
        (Math.Max(0, query.Offset), Math.Clamp(query.Limit, 1, MaxLimit));

    /// <summary>Whether a device passes the filters of the query (paging aside).</summary>
    public static bool Matches(DeviceRecord d, DeviceQuery query, Search? search)
    {
        if (query.Vendor is not null && !string.Equals(d.Vendor, query.Vendor.ToLowerInvariant(), StringComparison.Ordinal)) return false;
        if (query.State is { } state && d.State != state) return false;
        if (query.Admission is { } admission && d.Admission != admission) return false;
        if (search is null) return true;
        return d.Mac.Contains(search.MacText, StringComparison.Ordinal)
            || Contains(d.Vendor, search.Text) || Contains(d.Model, search.Text) || Contains(d.Firmware, search.Text)
            || Contains(d.LastIp, search.Text) || Contains(d.UserAgent, search.Text);
    }

    private static bool Contains(string? field, string lowerText) =>
        field is not null && field.ToLowerInvariant().Contains(lowerText, StringComparison.Ordinal);

    /// <summary>Filters, orders (last seen newest first, then MAC) and pages an in-memory set.</summary>
    public static DevicePage Apply(IEnumerable<DeviceRecord> devices, DeviceQuery query)
    {
        var search = Prepare(query);
        var matching = devices.Where(d => Matches(d, query, search))
            .OrderByDescending(d => d.LastSeen).ThenBy(d => d.Mac, StringComparer.Ordinal)
            .ToList();
        var (offset, limit) = Page(query);
        return new DevicePage(matching.Count, matching.Skip(offset).Take(limit).ToList());
    }
}
