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
    private readonly string _branch = SipIdentifiers.NewBranch();
    private byte[] _notify = [];
    private TimeSpan _timerE;

    public CheckSyncTransaction(Start start) => _start = start;

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
        Send();
        _timerE = _start.Timers.TimerEInitial;
        Timers.StartSingleTimer(nameof(TimerE), TimerE.Instance, _timerE);
        Timers.StartSingleTimer(nameof(TimerF), TimerF.Instance, _start.Timers.TimerF);
        Become(Trying);
    }

    protected override void OnReceive(object message) => Unhandled(message);

    private void Trying(object message)
    {
        switch (message)
        {
            case TimerE:
                // RFC 3261 §17.1.2.2: E doubles up to T2.
                Send();
                _start.Metrics.NotifyRetransmitted();
                _timerE = _start.Timers.NextTimerE(_timerE, proceeding: false);
                Timers.StartSingleTimer(nameof(TimerE), TimerE.Instance, _timerE);
                break;
            case TimerF:
                Finish(null, "phone never answered check-sync NOTIFY (Timer F)");
                break;
            case DialogMessages.Inbound { Message: SipResponse response }
                when response.CSeq.Method == SipMethods.Notify && response.TopVia.Branch == _branch && !response.IsProvisional:
                Timers.Cancel(nameof(TimerE));
                Timers.Cancel(nameof(TimerF));
                _start.ReplyTo.Tell(new Outcome(_start.Mac, _start.Target, response.StatusCode, $"{response.StatusCode} {response.ReasonPhrase}"));
                // RFC 3261 §17.1.2.2: Completed; Timer K absorbs retransmitted responses.
                Timers.StartSingleTimer(nameof(TimerK), TimerK.Instance, _start.Timers.TimerK);
                Become(Completed);
                break;
            case DialogMessages.Inbound:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Completed(object message)
    {
        if (message is TimerK) Stop();
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
        _start.Metrics.DatagramOut();
    }
}
