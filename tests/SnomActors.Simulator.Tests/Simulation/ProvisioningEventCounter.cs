using Akka.Actor;
using SnomActors.Server.Messages;

namespace SnomActors.Simulator.Tests.Simulation;

/// <summary>Counts the daemon's provisioning events per MAC from the EventStream.</summary>
internal sealed class ProvisioningEventCounter : UntypedActor
{
    public sealed record Snapshot(
        IReadOnlyDictionary<string, int> AcknowledgedPerMac,
        IReadOnlyDictionary<string, int> SeenPerMac,
        int Failed);

    public sealed record GetSnapshot
    {
        public static readonly GetSnapshot Instance = new();
    }

    private readonly Dictionary<string, int> _acknowledged = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _seen = new(StringComparer.Ordinal);
    private int _failed;

    public static Props Props() => Akka.Actor.Props.Create<ProvisioningEventCounter>();

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(NotifyAcknowledged));
        Context.System.EventStream.Subscribe(Self, typeof(SubscribeSeen));
        Context.System.EventStream.Subscribe(Self, typeof(ProvisioningFailed));
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case NotifyAcknowledged ack:
                _acknowledged[ack.Mac ?? "?"] = _acknowledged.GetValueOrDefault(ack.Mac ?? "?") + 1;
                break;
            case SubscribeSeen seen:
                _seen[seen.Mac ?? "?"] = _seen.GetValueOrDefault(seen.Mac ?? "?") + 1;
                break;
            case ProvisioningFailed:
                _failed++;
                break;
            case GetSnapshot:
                Sender.Tell(new Snapshot(new Dictionary<string, int>(_acknowledged), new Dictionary<string, int>(_seen), _failed));
                break;
        }
    }
}
