using System.Collections.Concurrent;
using System.Reflection;
using SnomActors.Registry.Model;
using SnomActors.Registry.Store;

namespace SnomActors.Registry.Tests.Support;

/// <summary>
/// Wraps a real store: counts and records <see cref="IRegistryStore.ApplyBatchAsync"/> calls and
/// can make chosen calls fail as if the database were down.
/// </summary>
public class ProbeStore : DispatchProxy
{
    private IRegistryStore inner = null!;

    /// <summary>Every batch the registry tried to write (failed ones included).</summary>
    public ConcurrentQueue<RegistryBatch> Attempts { get; } = new();

    /// <summary>Batches that reached the real store.</summary>
    public ConcurrentQueue<RegistryBatch> Written { get; } = new();

    /// <summary>When true, every store call fails with <see cref="RegistryStoreUnavailableException"/>.</summary>
    public volatile bool Down;

    /// <summary>Artificial latency of each write (a slow disk).</summary>
    public TimeSpan WriteDelay { get; set; }

    public static (IRegistryStore Store, ProbeStore Probe) Wrap(IRegistryStore inner)
    {
        var proxy = Create<IRegistryStore, ProbeStore>();
        var probe = (ProbeStore)(object)proxy;
        probe.inner = inner;
        return (proxy, probe);
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(IRegistryStore.ApplyBatchAsync))
            return ApplyAsync((RegistryBatch)args![0]!, (CancellationToken)args[1]!);
        if (Down && targetMethod.ReturnType.IsGenericType && targetMethod.ReturnType.GetGenericTypeDefinition() == typeof(Task<>))
        {
            var failed = typeof(Task).GetMethod(nameof(Task.FromException), 1, [typeof(Exception)])!
                .MakeGenericMethod(targetMethod.ReturnType.GetGenericArguments()[0]);
            return failed.Invoke(null, [new RegistryStoreUnavailableException("injected: database down")]);
        }
        if (Down && targetMethod.ReturnType == typeof(Task))
            return Task.FromException(new RegistryStoreUnavailableException("injected: database down"));
        try
        {
            return targetMethod.Invoke(inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }

    private async Task ApplyAsync(RegistryBatch batch, CancellationToken ct)
    {
        Attempts.Enqueue(batch);
        if (WriteDelay > TimeSpan.Zero) await Task.Delay(WriteDelay, ct);
        if (Down) throw new RegistryStoreUnavailableException("injected: database down");
        await inner.ApplyBatchAsync(batch, ct);
        Written.Enqueue(batch);
    }
}
