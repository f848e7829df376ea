using Polly;
using Polly.Retry;

namespace SnomActors.Registry.Store;

/// <summary>How a store retries transient faults before giving up on one call.</summary>
/// <param name="RetryAttempts">Retries after the first try (0 = none).</param>
/// <param name="BaseDelay">First back-off delay; doubles each retry, with jitter.</param>
/// <param name="MaxDelay">Cap of one back-off delay.</param>
public sealed record StoreResilience(int RetryAttempts = 4, TimeSpan? BaseDelay = null, TimeSpan? MaxDelay = null)
{
    /// <summary>4 retries from 50 ms, capped at 2 s: about 1.5 s in all before the caller sees the error.</summary>
    public static readonly StoreResilience Default = new();

    /// <summary>Fail at once (tests that inject faults).</summary>
    public static readonly StoreResilience None = new(0);

    internal ResiliencePipeline Build()
    {
        var builder = new ResiliencePipelineBuilder();
        if (RetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(RegistryStoreErrors.IsTransient),
                MaxRetryAttempts = RetryAttempts,
                Delay = BaseDelay ?? TimeSpan.FromMilliseconds(50),
                MaxDelay = MaxDelay ?? TimeSpan.FromSeconds(2),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            });
        }
        return builder.Build();
    }
}
