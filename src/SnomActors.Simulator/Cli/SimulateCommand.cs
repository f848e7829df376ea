using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SnomActors.Simulator.Phones;
using SnomActors.Simulator.Profiles;

namespace SnomActors.Simulator.Cli;

/// <summary>
/// <c>snomactors simulate</c>: boots simulated phones against a PnP server over real UDP and prints
/// what happened. Exit status 0 only when every phone was provisioned.
/// </summary>
public static class SimulateCommand
{
    /// <summary>Builds the command (the CLI mounts it under the root command).</summary>
    public static Command Create()
    {
        var target = new Option<string?>("--target") { Description = "Unicast PnP server as HOST:PORT (phones configured with a PnP server address)." };
        var multicast = new Option<bool>("--multicast") { Description = "Send the SUBSCRIBEs to 224.0.1.75:5060 like phones on a LAN." };
        var phones = new Option<int>("--phones") { Description = "Number of phones.", DefaultValueFactory = _ => 1 };
        var rate = new Option<double>("--rate") { Description = "Boots per second; 0 boots every phone at once.", DefaultValueFactory = _ => 0 };
        var vendor = new Option<string>("--vendor") { Description = "Vendor mix, e.g. snom=50,yealink=30,grandstream=20, or all.", DefaultValueFactory = _ => "snom" };
        var loss = new Option<double>("--loss") { Description = "Simulated datagram loss on the phone side (0..1), both directions.", DefaultValueFactory = _ => 0 };
        var seed = new Option<int?>("--seed") { Description = "Seed for MACs, Call-IDs and loss (default: random, printed)." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON instead of a table." };
        var timeout = new Option<double?>("--timeout") { Description = "Stop after SECONDS (default: 60 + boot time)." };
        var noDownload = new Option<bool>("--no-download") { Description = "Do not fetch the settings URL; provisioned = NOTIFY answered." };
        var localAddress = new Option<string?>("--local-address") { Description = "Address the phones bind to and write into Via/Contact (default: the route to the target)." };
        var sockets = new Option<int>("--sockets") { Description = "UDP sockets shared by the phones.", DefaultValueFactory = _ => 1 };
        var iface = new Option<string?>("--multicast-interface") { Description = "Interface address for multicast sends." };
        var macsFile = new Option<FileInfo?>("--macs")
        {
            Description = "Boot exactly these phones: a CSV with a 'mac' column (as 'snomactors import' reads) or one MAC per line; " +
                          "each boots as the vendor of its OUI, unknown OUIs as --vendor. Not with --phones.",
        };

        phones.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--phones must be at least 1."); });
        rate.Validators.Add(r => { if (r.GetValueOrDefault<double>() is < 0 or double.NaN) r.AddError("--rate must be 0 or more."); });
        loss.Validators.Add(r => { if (r.GetValueOrDefault<double>() is < 0 or > 1 or double.NaN) r.AddError("--loss must be within 0..1."); });
        sockets.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 64) r.AddError("--sockets must be within 1..64."); });
        timeout.Validators.Add(r => { if (r.GetValueOrDefault<double?>() is <= 0) r.AddError("--timeout must be positive."); });
        vendor.Validators.Add(r =>
        {
            if (!VendorMix.TryParse(r.GetValueOrDefault<string>(), out _, out var error)) r.AddError($"--vendor: {error}");
        });

        var command = new Command("simulate", "Boot simulated PnP phones against a server over UDP and report how they fared.")
        {
            target, multicast, phones, rate, vendor, loss, seed, json, timeout, noDownload, localAddress, sockets, iface, macsFile,
        };
        command.Validators.Add(r =>
        {
            var hasTarget = r.GetValue(target) is not null;
            var hasMulticast = r.GetValue(multicast);
            if (hasTarget == hasMulticast) r.AddError("Give exactly one of --target HOST:PORT or --multicast.");
            if (r.GetResult(macsFile) is not null && r.GetResult(phones) is { Implicit: false })
                r.AddError("Give --macs FILE or --phones N, not both: --macs boots one phone per listed MAC.");
        });

        command.SetAction(async (parse, cancellationToken) =>
        {
            var stderr = Console.Error;
            IPEndPoint destination;
            if (parse.GetValue(multicast)) destination = PhoneOptions.MulticastTarget;
            else if (!TryParseHostPort(parse.GetValue(target)!, out destination, out var error))
            {
                await stderr.WriteLineAsync($"--target: {error}").ConfigureAwait(false);
                return 2;
            }
            IPAddress? multicastInterface = null;
            if (parse.GetValue(iface) is { } ifaceText && !IPAddress.TryParse(ifaceText, out multicastInterface))
            {
                await stderr.WriteLineAsync($"--multicast-interface: '{ifaceText}' is not an IPv4 address").ConfigureAwait(false);
                return 2;
            }
            IPAddress local;
            if (parse.GetValue(localAddress) is { } localText)
            {
                if (!IPAddress.TryParse(localText, out local!))
                {
                    await stderr.WriteLineAsync($"--local-address: '{localText}' is not an IPv4 address").ConfigureAwait(false);
                    return 2;
                }
            }
            else if (multicastInterface is not null) local = multicastInterface;
            else if (!TryRouteSource(destination, out local!))
            {
                await stderr.WriteLineAsync($"No route to {destination}; give --local-address (and --multicast-interface for multicast).").ConfigureAwait(false);
                return 2;
            }

            IReadOnlyList<string>? macList = null;
            if (parse.GetValue(macsFile) is { } file)
            {
                string text;
                try
                {
                    text = await File.ReadAllTextAsync(file.FullName, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    await stderr.WriteLineAsync($"--macs {file.FullName}: cannot read it: {ex.Message}").ConfigureAwait(false);
                    return 2;
                }
                if (!MacListFile.TryParse(text, out macList, out var macsError))
                {
                    await stderr.WriteLineAsync($"--macs {file.FullName}: {macsError}").ConfigureAwait(false);
                    return 2;
                }
            }

            var count = macList?.Count ?? parse.GetValue(phones);
            var bootRate = parse.GetValue(rate);
            var bootSeconds = bootRate > 0 ? count / bootRate : 0;
            var settings = new SimulateSettings
            {
                Target = destination,
                Phones = count,
                Rate = bootRate,
                Mix = VendorMix.Parse(parse.GetValue(vendor)!),
                Loss = parse.GetValue(loss),
                Seed = parse.GetValue(seed) ?? Random.Shared.Next(1, int.MaxValue),
                Json = parse.GetValue(json),
                Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout) ?? 60 + bootSeconds),
                NoDownload = parse.GetValue(noDownload),
                LocalAddress = local,
                Sockets = parse.GetValue(sockets),
                MulticastInterface = multicastInterface,
            };
            var showProgress = !Console.IsErrorRedirected;
            await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"simulate: {settings.Phones} phones ({settings.Mix}) -> {settings.Target} from {settings.LocalAddress}, rate {(settings.Rate > 0 ? settings.Rate.ToString(CultureInfo.InvariantCulture) + "/s" : "all at once")}, loss {settings.Loss}, seed {settings.Seed}")).ConfigureAwait(false);
            var planned = macList is null
                ? PhonePlanner.Plan(settings.Mix, settings.Phones, settings.Seed)
                : PhonePlanner.PlanMacs(macList, settings.Mix, settings.Seed);
            var report = await SimulationRunner.RunAsync(settings, planned, showProgress ? stderr : null, cancellationToken).ConfigureAwait(false);
            await Console.Out.WriteAsync(settings.Json ? report.ToJson() + Environment.NewLine : report.ToTable()).ConfigureAwait(false);
            return report.AllProvisioned ? 0 : 1;
        });
        return command;
    }

    /// <summary>Parses <c>HOST:PORT</c> (IPv4 literal or a name resolved to IPv4).</summary>
    public static bool TryParseHostPort(string text, out IPEndPoint endpoint, out string error)
    {
        endpoint = null!;
        error = string.Empty;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            error = $"'{text}' is not HOST:PORT";
            return false;
        }
        var host = text[..colon];
        if (!IPAddress.TryParse(host, out var address))
        {
            try
            {
                address = Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
            }
            catch (SocketException ex)
            {
                error = $"cannot resolve '{host}': {ex.Message}";
                return false;
            }
            if (address is null)
            {
                error = $"'{host}' has no IPv4 address";
                return false;
            }
        }
        endpoint = new IPEndPoint(address, port);
        return true;
    }

    /// <summary>The local address the kernel would send from towards <paramref name="destination"/> (a connected UDP socket sends nothing).</summary>
    private static bool TryRouteSource(IPEndPoint destination, out IPAddress address)
    {
        address = IPAddress.Loopback;
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(destination);
            address = ((IPEndPoint)probe.LocalEndPoint!).Address;
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
