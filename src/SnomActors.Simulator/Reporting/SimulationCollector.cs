using Akka.Actor;
using SnomActors.Simulator.Phones;

namespace SnomActors.Simulator.Reporting;

/// <summary>
/// Gathers every phone's <see cref="PhoneProgress"/> and <see cref="PhoneResult"/>: live counters for
/// the progress bar, and the <see cref="SimulationReport"/> once every phone has an outcome.
/// </summary>
public sealed class SimulationCollector : UntypedActor
{
    /// <summary>Asks for the live <see cref="Progress"/>.</summary>
    public sealed record GetProgress
    {
        /// <summary>The single instance.</summary>
        public static readonly GetProgress Instance = new();

        private GetProgress()
        {
        }
    }

    /// <summary>Asks for the report now, unfinished phones included; answered with <see cref="SimulationReport"/>.</summary>
    public sealed record GetReport
    {
        /// <summary>The single instance.</summary>
        public static readonly GetReport Instance = new();

        private GetReport()
        {
        }
    }

    /// <summary>Answered with the <see cref="SimulationReport"/> once every phone has finished.</summary>
    public sealed record WhenComplete
    {
        /// <summary>The single instance.</summary>
        public static readonly WhenComplete Instance = new();

        private WhenComplete()
        {
        }
    }

    /// <summary>Asks for every <see cref="PhoneResult"/> so far (ordered by phone index); answered with <see cref="Results"/>.</summary>
    public sealed record GetResults
    {
        /// <summary>The single instance.</summary>
        public static readonly GetResults Instance = new();

        private GetResults()
        {
        }
    }

    /// <summary>The results so far.</summary>
    public sealed record Results(IReadOnlyList<PhoneResult> Phones);

    /// <summary>Counts for the progress bar.</summary>
    public sealed record Progress(int Expected, int Booted, int Answered, int Notified, int Downloaded, int Finished, int Provisioned);

    private readonly int _expected;
    private readonly Dictionary<int, PhoneResult> _results = [];
    // The furthest step of each phone that has no result yet, for the report of a run cut off by its timeout.
    private readonly Dictionary<int, PhoneStep> _lastStep = [];
    private readonly List<IActorRef> _waiting = [];
    private int _booted, _answered, _notified, _downloaded, _provisioned;

    /// <summary>Use <see cref="Props"/>.</summary>
    public SimulationCollector(int expected) => _expected = expected;

    /// <summary>Props of a collector expecting <paramref name="expectedPhones"/> results.</summary>
    public static Props Props(int expectedPhones) => Akka.Actor.Props.Create<SimulationCollector>(expectedPhones);

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case PhoneProgress progress:
                if (!_results.ContainsKey(progress.Index) && (!_lastStep.TryGetValue(progress.Index, out var last) || progress.Step > last))
                    _lastStep[progress.Index] = progress.Step;
                switch (progress.Step)
                {
                    case PhoneStep.Booted: _booted++; break;
                    case PhoneStep.Answered: _answered++; break;
                    case PhoneStep.Notified: _notified++; break;
                    case PhoneStep.Downloaded: _downloaded++; break;
                }
                break;
            case PhoneResult result:
                // A phone reports once; keep the first if it ever repeated itself.
                if (!_results.TryAdd(result.Index, result)) break;
                _lastStep.Remove(result.Index);
                if (result.Outcome == PhoneOutcome.Provisioned) _provisioned++;
                if (_results.Count == _expected) ReleaseWaiting();
                break;
            case GetProgress:
                Sender.Tell(new Progress(_expected, _booted, _answered, _notified, _downloaded, _results.Count, _provisioned));
                break;
            case GetReport:
                Sender.Tell(BuildReport());
                break;
            case GetResults:
                Sender.Tell(new Results(_results.Values.OrderBy(r => r.Index).ToList()));
                break;
            case WhenComplete:
                if (_results.Count >= _expected) Sender.Tell(BuildReport());
                else _waiting.Add(Sender);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private SimulationReport BuildReport()
    {
        var unfinishedAt = _lastStep.Values.GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        return SimulationReport.From(_results.Values.OrderBy(r => r.Index).ToList(), _expected, unfinishedAt);
    }

    private void ReleaseWaiting()
    {
        if (_waiting.Count == 0) return;
        var report = BuildReport();
        foreach (var waiter in _waiting) waiter.Tell(report);
        _waiting.Clear();
    }
}
