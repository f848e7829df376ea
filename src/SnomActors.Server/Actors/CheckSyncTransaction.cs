using System.Net;
using Akka.Actor;
using SnomActors.Server.Metrics;
using SnomActors.Sip.Building;
using SnomActors.Sip.Messages;
using SnomActors.Transport;

namespace SnomActors.Server.Actors;

/// <summary>
/// Push re-provisioning (issue 6 item 3): one out-of-dialog <c>NOTIFY</c> with
/// <c>Event: check-sync;reboot=…</c> to a running phone, as a non-INVITE client transaction
/// (RFC 3261 §17.1.2: Timer E retransmissions, Timer F give-up, Timer K absorption). The phone then
/// re-fetches its settings. Created by the <see cref="DialogRouter"/>, which routes the phone's
/// responses here by Call-ID.
/// </summary>
public sealed class CheckSyncTransaction : UntypedActor, IWithTimers
{
    /// <summary>What to send, and who wants the outcome.</summary>
    public sealed record Start(
        string? Mac, IPEndPoint Target, IPAddress LocalAddress, int SipPort, bool Reboot,
        IActorRef Transport, IActorRef ReplyTo, string CallId, Sip.Building.SipTimers Timers, PnpMetrics Metrics);

    /// <summary>The outcome sent to <see cref="Start.ReplyTo"/>: the final status, or null on Timer F.</summary>
    public sealed record Outcome(string? Mac, IPEndPoint Target, int? StatusCode, string Detail);

    private sealed record TimerE
    {
        public static readonly TimerE Instance = new();
    }

    private sealed record TimerF
    {
        public static readonly TimerF Instance = new();
    }

    private sealed record TimerK
    {
        public static readonly TimerK Instance = new();
    }

    private readonly Start _start;
    private string _branch = SipIdentifiers.NewBranch();
    private byte[] _notify = [];
    private TimeSpan _timerE;
    private UntypedReceive _phase;
    private readonly Dictionary<string, (object Message, DateTimeOffset Due)> _armed = new(StringComparer.Ordinal);
    private readonly Queue<object> _heldUntilHandoff = new();

    public CheckSyncTransaction(Start start)
    {
        _start = start;
        _phase = OnReceive;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        var host = SubscriptionDialog.FormatHost(_start.LocalAddress);
        var targetHost = SubscriptionDialog.FormatHost(_start.Target.Address);
        var phoneUri = _start.Mac is null
            ? $"sip:{targetHost}:{_start.Target.Port}"
            : $"sip:MAC%3a{_start.Mac}@{targetHost}:{_start.Target.Port}";
        _notify = NotifyBuilder.BuildCheckSync(
            requestUri: $"sip:{targetHost}:{_start.Target.Port}",
            viaSentBy: $"{host}:{_start.SipPort}",
            branch: _branch,
            callId: _start.CallId,
            fromUri: $"sip:snomactors@{host}",
            fromTag: SipIdentifiers.NewTag(),
            toUri: phoneUri,
            cseq: 1,
            reboot: _start.Reboot,
            contactUri: $"sip:{host}:{_start.SipPort}");
        // Timers armed before the send (see SubscriptionDialog.Retransmit).
        _timerE = _start.Timers.TimerEInitial;
        Arm(nameof(TimerE), TimerE.Instance, _timerE);
        Arm(nameof(TimerF), TimerF.Instance, _start.Timers.TimerF);
        Enter(Trying);
        Send();
    }

    protected override void OnReceive(object message) => Unhandled(message);

    /// <summary>
    /// A restarting router restarts the children it keeps; like <see cref="SubscriptionDialog"/>, the
    /// old instance hands itself over so the transaction neither re-sends its NOTIFY with a new branch
    /// (a second re-sync, or a second reboot) nor loses the phone's response.
    /// </summary>
    protected override void PreRestart(Exception reason, object message) => Self.Tell(new Handoff(this));

    protected override void PostRestart(Exception reason) => Become(AwaitingHandoff);

    private sealed record Handoff(CheckSyncTransaction Previous);

    private void AwaitingHandoff(object message)
    {
        switch (message)
        {
            case Handoff { Previous: var old }:
                _branch = old._branch;
                _notify = old._notify;
                _timerE = old._timerE;
                foreach (var (key, (timerMessage, due)) in old._armed)
                    Arm(key, timerMessage, due > Now ? due - Now : TimeSpan.Zero);
                Enter((UntypedReceive)old._phase.Method.CreateDelegate(typeof(UntypedReceive), this));
                while (_heldUntilHandoff.TryDequeue(out var held)) _phase(held);
                break;
            case DialogMessages.Reattach:
                Sender.Tell(new DialogMessages.Attached(_start.CallId, _start.Mac));
                break;
            default:
                _heldUntilHandoff.Enqueue(message);
                break;
        }
    }

    private DateTimeOffset Now => Context.System.Scheduler.Now;

    private void Enter(UntypedReceive phase)
    {
        _phase = phase;
        Become(phase);
    }

    private void Arm(string key, object timerMessage, TimeSpan delay)
    {
        Timers.StartSingleTimer(key, timerMessage, delay);
        _armed[key] = (timerMessage, Now + delay);
    }

    private void Disarm(string key)
    {
        Timers.Cancel(key);
        _armed.Remove(key);
    }

    private void Trying(object message)
    {
        switch (message)
        {
            case TimerE:
                // RFC 3261 §17.1.2.2: E doubles up to T2.
                _timerE = _start.Timers.NextTimerE(_timerE, proceeding: false);
                Arm(nameof(TimerE), TimerE.Instance, _timerE);
                Send();
                _start.Metrics.NotifyRetransmitted();
                break;
            case TimerF:
                Finish(null, "phone never answered check-sync NOTIFY (Timer F)");
                break;
            case DialogMessages.Inbound { Message: SipResponse response }
                when response.CSeq.Method == SipMethods.Notify && response.TopVia.Branch == _branch && !response.IsProvisional:
                Disarm(nameof(TimerE));
                Disarm(nameof(TimerF));
                _start.ReplyTo.Tell(new Outcome(_start.Mac, _start.Target, response.StatusCode, $"{response.StatusCode} {response.ReasonPhrase}"));
                // RFC 3261 §17.1.2.2: Completed; Timer K absorbs retransmitted responses. The router
                // stops counting us live now, so that a shutdown drain does not wait out Timer K.
                Context.Parent.Tell(new DialogMessages.Completed(_start.CallId, "", "", _start.LocalAddress, DateTimeOffset.MinValue) { AwaitingTimerK = true });
                Arm(nameof(TimerK), TimerK.Instance, _start.Timers.TimerK);
                Enter(Completed);
                break;
            case DialogMessages.Inbound:
                break;
            case DialogMessages.Reattach:
                // The router restarted and re-learns which Call-ID each child serves.
                Sender.Tell(new DialogMessages.Attached(_start.CallId, _start.Mac));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Completed(object message)
    {
        if (message is TimerK) Stop();
        else if (message is DialogMessages.Reattach)
            Sender.Tell(new DialogMessages.Completed(_start.CallId, "", "", _start.LocalAddress, DateTimeOffset.MinValue) { AwaitingTimerK = true });
    }

    private void Finish(int? status, string detail)
    {
        _start.ReplyTo.Tell(new Outcome(_start.Mac, _start.Target, status, detail));
        Stop();
    }

    private void Stop()
    {
        Context.Parent.Tell(new DialogMessages.Completed(_start.CallId, "", "", _start.LocalAddress, DateTimeOffset.MinValue));
        Context.Stop(Self);
    }

    private void Send()
    {
        _start.Transport.Tell(new SipTransport.Send(_notify, _start.Target, _start.LocalAddress));
        _start.Metrics.DatagramSent(SentDatagram.CheckSyncNotify);
    }
}
