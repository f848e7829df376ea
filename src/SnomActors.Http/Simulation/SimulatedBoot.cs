using SnomActors.Simulator.Profiles;

namespace SnomActors.Http.Simulation;

/// <summary>
/// Limits of the simulated boot behind <c>POST /api/simulations</c>: simulated phones are real UDP
/// SUBSCRIBEs and real HTTP downloads against this daemon, so they meet its overload control.
/// </summary>
/// <param name="Enabled">False: the endpoint answers 403 (a production site that never wants test phones in its registry).</param>
/// <param name="SourceRatePerSecond">The PnP core's per-source SUBSCRIBE limit (<c>Sip:RatePerSource</c>); 0 = none.</param>
/// <param name="LoopbackExempt">Loopback sources skip that limit (<c>Sip:RateExemptLoopback</c>).</param>
public sealed record SimulatedBootOptions(bool Enabled = true, double SourceRatePerSecond = 0, bool LoopbackExempt = true)
{
    /// <summary>Most phones one boot may have.</summary>
    public const int MaxPhones = 10_000;

    /// <summary>Highest boot rate accepted (phones per second).</summary>
    public const double MaxRate = 1_000;

    /// <summary>Boot rate when the request names none.</summary>
    public const double DefaultRate = 50;
}

/// <summary>What to boot.</summary>
/// <param name="Macs">The phones, normalised and distinct, in boot order.</param>
/// <param name="Rate">Phones booted per second.</param>
/// <param name="UnknownOuiMix">Vendors for MACs whose OUI the simulator does not know.</param>
/// <param name="Download">Fetch the settings URL after the NOTIFY, as a phone does.</param>
public sealed record SimulatedBootRequest(IReadOnlyList<string> Macs, double Rate, VendorMix UnknownOuiMix, bool Download = true);

/// <summary>How a start request ended.</summary>
public enum SimulatedBootStartOutcome
{
    /// <summary>Booting.</summary>
    Started,
    /// <summary>Another simulated boot is still running.</summary>
    AlreadyRunning,
    /// <summary>No SIP side in this process, or it is not bound yet.</summary>
    Unavailable,
}

/// <summary>The result of <see cref="ISimulatedBoot.StartAsync"/>.</summary>
/// <param name="Outcome">Started or why not.</param>
/// <param name="Status">The boot (started, or the one still running).</param>
/// <param name="Detail">Why not, for the problem response.</param>
public sealed record SimulatedBootStart(SimulatedBootStartOutcome Outcome, SimulationDto? Status, string? Detail = null);

/// <summary>
/// Boots simulated phones against this daemon's own SIP socket and HTTP side, one boot at a time
/// (issue 3: an operator imports 100 phones' accounts and boots them from the page).
/// </summary>
public interface ISimulatedBoot
{
    /// <summary>Starts a boot unless one is running or the SIP side is not there.</summary>
    Task<SimulatedBootStart> StartAsync(SimulatedBootRequest request, CancellationToken cancellationToken);

    /// <summary>The running or last boot, or null before the first.</summary>
    Task<SimulationDto?> GetCurrentAsync(CancellationToken cancellationToken);

    /// <summary>Stops the running boot (its unfinished phones are reported so); false when none runs.</summary>
    bool Stop();
}
