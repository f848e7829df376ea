using System.Net;
using SnomActors.EndToEnd.Tests.Support;
using SnomActors.Sip.Tests.Corpus;
using SnomActors.Tests.Shared;

namespace SnomActors.EndToEnd.Tests;

/// <summary>
/// A server namespace running the real daemon (<c>ip netns exec … snomactors run
/// --multicast-interface VETH --sip-port 5060</c>) and a phone namespace, joined by a veth pair;
/// created by the fixture, deleted afterwards. Never joins a group in the machine's own namespace.
/// </summary>
public class MulticastNamespaceFixture : IAsyncLifetime
{
    public const int SipPort = 5060;
    public const int HttpPort = 8080;

    private string? _dataDirectory;
    /// <summary>The daemon's working directory; its <c>--data</c> is the <c>data</c> folder inside.</summary>
    public string DataDirectory => _dataDirectory ?? "";

    internal NamespacePair? Namespaces { get; private set; }

    internal DaemonProcess? Daemon { get; private set; }

    /// <summary>Why the tests cannot run here (null: they can).</summary>
    public string? SkipReason { get; private set; }

    /// <summary>The daemon's SIGTERM result, for the lifecycle check at dispose.</summary>
    public (int ExitCode, TimeSpan Elapsed)? Termination { get; private set; }

    internal IPEndPoint ServerSip => new(Namespaces!.ServerAddress, SipPort);

    /// <summary>More <c>snomactors run</c> arguments for a fixture that needs other settings (files go in <paramref name="dataDirectory"/>).</summary>
    protected virtual IEnumerable<string> ExtraArguments(string dataDirectory) => [];

    public async Task InitializeAsync()
    {
        Namespaces = NamespacePair.TryCreate(out var reason);
        if (Namespaces is null)
        {
            SkipReason = reason;
            return;
        }
        _dataDirectory = Directory.CreateTempSubdirectory("snomactors-e2e-ns-").FullName;
        Daemon = DaemonProcess.Start(
        [
            "--multicast-interface", Namespaces.ServerLink, "--sip-port", SipPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--http-url", $"http://{Namespaces.ServerAddress}:{HttpPort}", "--data", Path.Combine(_dataDirectory, "data"),
            .. ExtraArguments(_dataDirectory),
        ], _dataDirectory, Namespaces.Server);
        await Daemon.WaitForSipBoundAsync(LoopbackDaemon.StartTimeout);
        using var http = Namespaces.PhoneHttpClient();
        await Daemon.WaitForReadyAsync(http, new Uri($"http://{Namespaces.ServerAddress}:{HttpPort}/"), LoopbackDaemon.StartTimeout);
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (Daemon is not null)
            {
                // The daemon first (by pid): deleting a namespace does not stop processes inside it.
                Termination = await Daemon.TerminateAsync(TimeSpan.FromSeconds(10));
                Daemon.Dispose();
            }
        }
        finally
        {
            Namespaces?.Dispose();
            if (_dataDirectory is not null) Directory.Delete(_dataDirectory, recursive: true);
        }
        if (Daemon is not null && Termination is not { ExitCode: 0 })
            throw new InvalidOperationException($"SIGTERM did not stop the namespaced daemon with exit code 0: {Termination?.ExitCode.ToString() ?? "still running after 10 s (killed)"}");
    }
}

/// <summary>Multicast PnP end to end across two network namespaces (issue 2, "How it is tested").</summary>
public sealed class MulticastNamespaceTests(MulticastNamespaceFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<MulticastNamespaceFixture>
{
    private static readonly IPEndPoint Group = new(IPAddress.Parse("224.0.1.75"), 5060);
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(5);

    [SkippableFact]
    public void The_daemon_joined_the_group_on_the_named_interface_only()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var bound = fixture.Daemon!.LinesContaining("SIP transport bound on");
        Assert.NotEmpty(bound);
        Assert.Contains($"multicast on [{fixture.Namespaces!.ServerLink}", bound[0], StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_subscribe_multicast_from_the_phone_namespace_is_answered_by_unicast_from_the_servers_own_address()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var ns = fixture.Namespaces!;
        using var phone = new PhoneSocket(ns.PhoneUdpSocket(), new IPEndPoint(ns.PhoneAddress, 0));
        var mac = TestMessages.NewMac();
        var subscribe = TestMessages.Subscribe(phone.LocalEndPoint, mac, $"e2e-mc-{Guid.NewGuid():N}");
        TestMessages.AssertOnlyTestAddresses(subscribe, ns.PhoneAddress);
        phone.Send(subscribe, Group);

        var ok = await phone.ExpectAsync("the 200 to the multicast SUBSCRIBE", Answer, () => fixture.Daemon!.Describe());
        Assert.True(ok.Message.StatusCode == 200, $"expected 200, got:\n{ok.Message}");
        Assert.Equal(fixture.ServerSip, ok.From); // from the server's unicast address and port, never from the group
        Assert.Equal($"<sip:{ns.ServerAddress}:{MulticastNamespaceFixture.SipPort}>", ok.Message.Header("Contact"));
        Assert.False(string.IsNullOrEmpty(ok.Message.ToTag));

        var notify = await phone.ExpectAsync("the NOTIFY", Answer, () => fixture.Daemon!.Describe());
        Assert.True(notify.Message.Method == "NOTIFY", $"expected the NOTIFY, got:\n{notify.Message}");
        Assert.Equal(fixture.ServerSip, notify.From);
        Assert.Equal(ok.Message.ToTag, notify.Message.FromTag);
        Assert.Equal($"http://{ns.ServerAddress}:{MulticastNamespaceFixture.HttpPort}/settings/{mac}.xml", notify.Message.Body.TrimEnd('\r', '\n'));
        Assert.Contains($"{ns.ServerAddress}:{MulticastNamespaceFixture.SipPort}", notify.Message.Header("Via"), StringComparison.Ordinal);

        phone.Answer(notify);
        var after = await phone.CollectAsync(TimeSpan.FromSeconds(1.5));
        Assert.True(after.Count == 0, $"{after.Count} datagram(s) after our 200:\n{string.Join("\n", after.Select(a => a.Message.StartLine))}");
    }

    [SkippableFact]
    public async Task A_presence_subscribe_to_the_group_gets_silence_while_the_same_by_unicast_gets_489()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var ns = fixture.Namespaces!;
        using var phone = new PhoneSocket(ns.PhoneUdpSocket(), new IPEndPoint(ns.PhoneAddress, 0));

        phone.Send(TestMessages.Subscribe(phone.LocalEndPoint, TestMessages.NewMac(), $"e2e-mc-presence-{Guid.NewGuid():N}", eventHeader: "presence"), Group);
        var heard = await phone.CollectAsync(TimeSpan.FromSeconds(1.5));
        Assert.True(heard.Count == 0, $"the multicast path must stay silent, got:\n{string.Join("\n", heard.Select(a => a.Message.StartLine))}");

        // The same request by unicast is answered: the silence above is the multicast rule, not a lost datagram.
        phone.Send(TestMessages.Subscribe(phone.LocalEndPoint, TestMessages.NewMac(), $"e2e-uc-presence-{Guid.NewGuid():N}", eventHeader: "presence"), fixture.ServerSip);
        var reply = await phone.ExpectAsync("the 489 to the unicast presence SUBSCRIBE", Answer, () => fixture.Daemon!.Describe());
        Assert.Equal(489, reply.Message.StatusCode);
        Assert.Equal("ua-profile", reply.Message.Header("Allow-Events"));
    }

    /// <summary>
    /// Where the daemon, run end to end, answers otherwise than TestData/rfc4475/manifest.csv says
    /// (reported to the lead; an entry goes when the daemon is fixed — the manifest's answer is
    /// always accepted too). Observed value: status codes, "" for silence.
    /// </summary>
    private static readonly Dictionary<string, (string Observed, string Why)> KnownDeviations = new()
    {
        ["badinv01"] = ("", "protocol.md §4.6: no usable Via ('192.0.2.15;;,;,,'), so the 400 is dropped rather than guessed"),
        ["badvers"] = ("", "protocol.md §4.6: no usable Via ('SIP/7.0/UDP'), so the 505 is dropped rather than guessed"),
    };

    [SkippableFact]
    public async Task Every_rfc_4475_torture_message_sent_by_unicast_gets_the_response_its_manifest_expects()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var ns = fixture.Namespaces!;
        var from = ns.ExtraPhoneAddresses[0];
        // The torture messages' Vias name example hosts without rport: the daemon answers to the
        // source address at the Via port (5060 unless the Via says otherwise), i.e. inside the phone namespace.
        using var torturer = new PhoneSocket(ns.PhoneUdpSocket(), new IPEndPoint(from, 5060));
        var mismatches = new List<string>();
        var deviations = new List<string>();
        foreach (var message in Rfc4475Corpus.Load())
        {
            // Stay under the daemon's per-source limit for new transactions (10/s, burst 20), which would shed with 503.
            await Task.Delay(110);
            var viaPort = ViaPort(message.Bytes);
            using var other = viaPort is { } p && p != 5060 ? new PhoneSocket(ns.PhoneUdpSocket(), new IPEndPoint(from, p)) : null;
            var listener = other ?? torturer;
            torturer.Send(message.Bytes, fixture.ServerSip);
            var got = new List<Arrival>();
            if (message.ExpectsResponse && await listener.ReceiveAsync(TimeSpan.FromSeconds(2)) is { } first) got.Add(first);
            got.AddRange(await listener.CollectAsync(TimeSpan.FromMilliseconds(message.ExpectsResponse ? 120 : 400)));
            if (other is not null) got.AddRange(await torturer.CollectAsync(TimeSpan.FromMilliseconds(50)));
            var codes = string.Join(",", got.Select(a => a.Message.IsResponse ? a.Message.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : a.Message.Method));
            var expected = message.ExpectsResponse ? message.Expected : "";
            if (codes == expected) continue;
            var line = $"{message.Name} ({message.Section}): manifest [{expected}], daemon [{codes}] {string.Join(" | ", got.Select(a => a.Message.StartLine))}";
            if (KnownDeviations.TryGetValue(message.Name, out var known) && known.Observed == codes) deviations.Add($"{line} — known: {known.Why}");
            else mismatches.Add(line);
        }
        foreach (var d in deviations) output.WriteLine(d);
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of 49 torture messages answered otherwise than expected:\n{string.Join("\n", mismatches)}");
        Assert.False(fixture.Daemon!.HasExited);
    }

    /// <summary>The port of the first Via (lenient: folding and odd spacing allowed), null when it has none.</summary>
    private static int? ViaPort(byte[] message)
    {
        var text = System.Text.Encoding.Latin1.GetString(message);
        var m = System.Text.RegularExpressions.Regex.Match(text, @"^(?:via|v)\s*:\s*SIP\s*/\s*\d\.\d\s*/\s*[A-Za-z]+\s+[^\s;:]+:(\d+)",
            System.Text.RegularExpressions.RegexOptions.Multiline | System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        return m.Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    [SkippableFact]
    public async Task Rfc_4475_torture_messages_sent_to_the_group_get_silence()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var ns = fixture.Namespaces!;
        using var torturer = new PhoneSocket(ns.PhoneUdpSocket(), new IPEndPoint(ns.ExtraPhoneAddresses[1], 5060));
        foreach (var message in Rfc4475Corpus.Load())
        {
            torturer.Send(message.Bytes, Group);
            await Task.Delay(20);
        }
        var heard = await torturer.CollectAsync(TimeSpan.FromSeconds(1.5));
        Assert.True(heard.Count == 0, $"the multicast path must stay silent, got:\n{string.Join("\n", heard.Select(a => a.Message.StartLine))}");

        // The daemon is still there and still provisions from the group.
        using var phone = new PhoneSocket(ns.PhoneUdpSocket(), new IPEndPoint(ns.PhoneAddress, 0));
        phone.Send(TestMessages.Subscribe(phone.LocalEndPoint, TestMessages.NewMac(), $"e2e-mc-after-{Guid.NewGuid():N}"), Group);
        Assert.Equal(200, (await phone.ExpectAsync("the 200 after the torture run", Answer, () => fixture.Daemon!.Describe())).Message.StatusCode);
        phone.Answer(await phone.ExpectAsync("the NOTIFY after the torture run", Answer));
    }

    // The whole mission in one test: the operator's general file, a phone multicasting PnP, and the
    // phone's GET of the URL its NOTIFY carried returning that file rendered for it.
    [SkippableFact]
    public async Task The_phone_fetches_the_url_from_its_notify_over_http()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var ns = fixture.Namespaces!;
        using (var admin = ns.PhoneHttpClient())
        {
            // Admin authentication is on by default: the operator's credential is in <data>/admin-token.
            var tokenFile = Path.Combine(fixture.DataDirectory, "data", "admin-token");
            if (File.Exists(tokenFile))
                admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", File.ReadAllText(tokenFile).Trim());
            var general = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<settings><phone-settings><http_user perm=\"\">{mac}</http_user></phone-settings></settings>\n";
            var serverBase = new Uri($"http://{ns.ServerAddress}:{MulticastNamespaceFixture.HttpPort}");
            using var put = await admin.PutAsync(new Uri(serverBase, "/api/settings/general"),
                new StringContent(general, System.Text.Encoding.UTF8, "application/xml"));
            Assert.True(put.IsSuccessStatusCode, $"uploading the general settings: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        }
        using var phone = new PhoneSocket(ns.PhoneUdpSocket(), new IPEndPoint(ns.PhoneAddress, 0));
        var mac = TestMessages.NewMac();
        phone.Send(TestMessages.Subscribe(phone.LocalEndPoint, mac, $"e2e-mc-fetch-{Guid.NewGuid():N}"), Group);
        Assert.Equal(200, (await phone.ExpectAsync("the 200", Answer)).Message.StatusCode);
        var notify = await phone.ExpectAsync("the NOTIFY", Answer);
        phone.Answer(notify);

        using var http = ns.PhoneHttpClient();
        using var response = await http.GetAsync(notify.Message.Body.Trim());
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {notify.Message.Body.Trim()}: {(int)response.StatusCode}\n{body}");
        Assert.StartsWith("<", body.TrimStart(), StringComparison.Ordinal);
        Assert.Contains($"<http_user perm=\"\">{mac}</http_user>", body, StringComparison.Ordinal);
        Assert.Contains("xml", response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.OrdinalIgnoreCase);
    }
}
