using System.CommandLine;
using System.Net;
using Akka.Actor;
using Akka.Configuration;
using SnomActors.Server.Actors;
using SnomActors.Server.Config;
using SnomActors.Simulator.Cli;
using SnomActors.Simulator.Profiles;
using SnomActors.Transport;
using SnomActors.Transport.Udp;
using Xunit.Abstractions;

namespace SnomActors.Simulator.Tests.Udp;

/// <summary>The simulator over real loopback UDP against the daemon's router on an ephemeral port.</summary>
public sealed class SimulateOverUdpTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ActorSystem _daemon = null!;
    private IPEndPoint _server = null!;

    public async Task InitializeAsync()
    {
        _daemon = ActorSystem.Create("daemon", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var udp = new UdpTransportOptions { BindAddress = IPAddress.Loopback, Port = 0, EnableMulticast = false };
        var router = _daemon.ActorOf(DialogRouter.Props(new PnpOptions { ServerHost = "127.0.0.1" }, new UdpTransportFactory(udp, new UdpTransportCounters())));
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var bound = await router.Ask<SipTransport.Bound>(DialogRouter.GetBinding.Instance, TimeSpan.FromSeconds(5));
                _server = bound.LocalEndpoints[0];
                return;
            }
            catch (InvalidOperationException)
            {
                // "transport not bound yet": the bind runs asynchronously.
            }
            if (attempt > 100) throw new InvalidOperationException("daemon transport never bound");
            await Task.Delay(50);
        }
    }

    public async Task DisposeAsync() => await _daemon.Terminate();

    [Fact]
    public async Task Five_hundred_mixed_vendor_phones_booting_at_once_over_loopback_are_all_provisioned()
    {
        var settings = new SimulateSettings
        {
            Target = _server,
            Phones = 500,
            Mix = VendorMix.All,
            Seed = 11,
            NoDownload = true,
            LocalAddress = IPAddress.Loopback,
            Timeout = TimeSpan.FromSeconds(45),
        };
        var report = await SimulationRunner.RunAsync(settings, progressWriter: null, CancellationToken.None);
        output.WriteLine(report.ToTable());
        Assert.Equal(500, report.Provisioned);
        Assert.True(report.AllProvisioned);
        Assert.Equal(500, report.SubscribeToNotify.Count);
    }

    [Fact]
    public async Task The_command_parses_the_documented_flags_and_exits_zero_when_every_phone_is_provisioned()
    {
        var root = new RootCommand { SimulateCommand.Create() };
        var stdout = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(stdout);
        int exit;
        try
        {
            exit = await root.Parse(["simulate", "--target", $"127.0.0.1:{_server.Port}", "--phones", "20", "--rate", "200",
                "--vendor", "snom=50,yealink=30,grandstream=20", "--loss", "0", "--seed", "3", "--json", "--no-download", "--timeout", "30"]).InvokeAsync();
        }
        finally
        {
            Console.SetOut(previous);
        }
        output.WriteLine(stdout.ToString());
        Assert.Equal(0, exit);
        Assert.Contains("\"provisioned\": 20", stdout.ToString());
    }
}

/// <summary>Flag validation of <c>snomactors simulate</c>.</summary>
public sealed class SimulateCommandTests
{
    [Theory]
    [InlineData("simulate --phones 5")]                                   // neither --target nor --multicast
    [InlineData("simulate --multicast --target 127.0.0.1:5060")]          // both
    [InlineData("simulate --target 127.0.0.1:5060 --vendor cisco")]
    [InlineData("simulate --target 127.0.0.1:5060 --loss 2")]
    [InlineData("simulate --target 127.0.0.1:5060 --phones 0")]
    public void Invalid_flags_are_rejected_by_the_parser(string line)
    {
        var root = new RootCommand { SimulateCommand.Create() };
        Assert.NotEmpty(root.Parse(line).Errors);
    }
}
