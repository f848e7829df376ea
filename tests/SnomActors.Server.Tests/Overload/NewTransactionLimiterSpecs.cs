using System.Net;
using SnomActors.Server.Overload;

namespace SnomActors.Server.Tests.Overload;

/// <summary>The token buckets of overload control, refilled by ticks only (the router's timer, in actor time).</summary>
public sealed class NewTransactionLimiterSpecs
{
    private static readonly IPAddress PhoneA = IPAddress.Parse("10.0.0.91");
    private static readonly IPAddress PhoneB = IPAddress.Parse("10.0.0.92");

    [Fact]
    public void A_source_gets_its_burst_then_is_shed_per_source_while_another_source_has_its_own_bucket()
    {
        using var limiter = new NewTransactionLimiter(new RateLimitOptions(PerSourcePerSecond: 1, PerSourceBurst: 2, GlobalPerSecond: 0));

        Assert.True(limiter.TryAdmit(PhoneA, out _));
        Assert.True(limiter.TryAdmit(PhoneA, out _));
        Assert.False(limiter.TryAdmit(PhoneA, out var reason));
        Assert.Equal("rate-per-source", reason);
        Assert.True(limiter.TryAdmit(PhoneB, out _));
        Assert.Equal(2, limiter.TrackedSources);
    }

    [Fact]
    public void One_per_second_refills_one_token_on_the_tenth_tick_and_not_with_wall_clock_time()
    {
        using var limiter = new NewTransactionLimiter(new RateLimitOptions(PerSourcePerSecond: 1, PerSourceBurst: 1, GlobalPerSecond: 0));
        Assert.True(limiter.TryAdmit(PhoneA, out _));

        Thread.Sleep(250); // real time alone adds nothing
        Assert.False(limiter.TryAdmit(PhoneA, out _));
        for (var tick = 1; tick < 10; tick++) limiter.Replenish();
        Assert.False(limiter.TryAdmit(PhoneA, out _));
        limiter.Replenish();
        Assert.True(limiter.TryAdmit(PhoneA, out _));
        Assert.False(limiter.TryAdmit(PhoneA, out _));
    }

    [Fact]
    public void The_global_bucket_refills_its_rate_per_tick_up_to_its_burst()
    {
        using var limiter = new NewTransactionLimiter(new RateLimitOptions(PerSourcePerSecond: 0, GlobalPerSecond: 200, GlobalBurst: 100));
        Assert.Equal(100, Admitted(limiter, 1_000));
        limiter.Replenish();
        Assert.Equal(20, Admitted(limiter, 1_000));
        for (var tick = 0; tick < 50; tick++) limiter.Replenish();
        Assert.Equal(100, Admitted(limiter, 1_000));
    }

    [Fact]
    public void A_source_whose_bucket_is_full_again_is_forgotten()
    {
        using var limiter = new NewTransactionLimiter(new RateLimitOptions(PerSourcePerSecond: 10, PerSourceBurst: 1, GlobalPerSecond: 0));
        Assert.True(limiter.TryAdmit(PhoneA, out _));
        Assert.Equal(1, limiter.TrackedSources);
        limiter.Replenish();
        Assert.Equal(0, limiter.TrackedSources);
    }

    [Fact]
    public void Loopback_is_exempt_from_the_per_source_bucket_but_not_from_the_global_one()
    {
        using var limiter = new NewTransactionLimiter(new RateLimitOptions(PerSourcePerSecond: 1, PerSourceBurst: 1, GlobalPerSecond: 10, GlobalBurst: 3));
        Assert.Equal(3, Admitted(limiter, 10, IPAddress.Loopback));
        Assert.False(limiter.TryAdmit(IPAddress.Loopback, out var reason));
        Assert.Equal("rate-global", reason);
        Assert.Equal(0, limiter.TrackedSources);
    }

    private static int Admitted(NewTransactionLimiter limiter, int attempts, IPAddress? source = null)
    {
        var admitted = 0;
        for (var i = 0; i < attempts; i++)
            if (limiter.TryAdmit(source ?? PhoneA, out _)) admitted++;
        return admitted;
    }
}
