using System.CommandLine;
using SnomActors.Cli.Commands;

// snomactors: one executable for the daemon (`run`), the phone simulator and the admin commands.
var root = new RootCommand("SnomActors: plug-and-play provisioning server for SIP desk phones.");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(StatusCommand.Create());
root.Subcommands.Add(MonitorCommand.Create());
root.Subcommands.Add(DevicesCommand.Create());
root.Subcommands.Add(SettingsCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(ResyncCommand.Create());
root.Subcommands.Add(SnomActors.Simulator.Cli.SimulateCommand.Create());

// The daemon's host handles SIGINT/SIGTERM itself (graceful shutdown); System.CommandLine must not
// race it with its own forced exit.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
