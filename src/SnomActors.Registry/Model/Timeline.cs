namespace SnomActors.Registry.Model;

/// <summary>Bucketing of timeline events, shared by the stores and the actor's merge of unflushed events.</summary>
internal static class Timeline
{
    /// <summary>Buckets are aligned to multiples of their size since the Unix epoch; at most 10,000 buckets.</summary>
    public static (long FromMs, long ToMs, long BucketMs) Align(DateTimeOffset from, DateTimeOffset to, TimeSpan bucket)
    {
        var bucketMs = Math.Max(1L, (long)bucket.TotalMilliseconds);
        var fromMs = Math.DivRem(from.ToUnixTimeMilliseconds(), bucketMs).Quotient * bucketMs;
        var toMs = to.ToUnixTimeMilliseconds();
        if (toMs % bucketMs != 0) toMs = (toMs / bucketMs + 1) * bucketMs;
        if (toMs <= fromMs) toMs = fromMs + bucketMs;
        if ((toMs - fromMs) / bucketMs > 10_000)
            throw new ArgumentException("A timeline holds at most 10,000 buckets: widen the bucket or shorten the range.", nameof(bucket));
        return (fromMs, toMs, bucketMs);
    }

    public static ProvisioningTimeline Build(long fromMs, long toMs, long bucketMs, IEnumerable<(long Index, DeviceEventKind Kind, int Count)> counts)
    {
        var first = fromMs / bucketMs;
        var n = (int)((toMs - fromMs) / bucketMs);
        var seen = new int[n]; var provisioned = new int[n]; var failed = new int[n]; var downloaded = new int[n];
        foreach (var (index, kind, count) in counts)
        {
            var i = (int)(index - first);
            if (i < 0 || i >= n) continue;
            switch (kind)
            {
                case DeviceEventKind.Seen: seen[i] += count; break;
                case DeviceEventKind.Provisioned: provisioned[i] += count; break;
                case DeviceEventKind.Failed: failed[i] += count; break;
                case DeviceEventKind.Downloaded: downloaded[i] += count; break;
            }
        }
        var buckets = Enumerable.Range(0, n)
            .Select(i => new TimelineBucket(DateTimeOffset.FromUnixTimeMilliseconds(fromMs + i * bucketMs), seen[i], provisioned[i], failed[i], downloaded[i]))
            .ToList();
        return new ProvisioningTimeline(DateTimeOffset.FromUnixTimeMilliseconds(fromMs), DateTimeOffset.FromUnixTimeMilliseconds(toMs),
            TimeSpan.FromMilliseconds(bucketMs), buckets);
    }
}
