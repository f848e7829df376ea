using System.Text;
using SnomActors.EndToEnd.Tests.Support;
using SnomActors.Sip.Tests.Corpus;

namespace SnomActors.EndToEnd.Tests;

/// <summary>
/// The PnP exchange over real UDP on loopback against the real daemon process (issue 2, "How it is
/// tested": end to end over real UDP on loopback).
/// </summary>
[Collection(LoopbackDaemonCollection.Name)]
public sealed class LoopbackSubscribeTests(LoopbackDaemonFixture fixture)
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(5);
    private readonly LoopbackDaemon _daemon = fixture.Daemon;

    /// <summary>Every vendor sample file (manifest order).</summary>
    public static TheoryData<string> VendorFiles()
    {
        var data = new TheoryData<string>();
        foreach (var sample in VendorSamples.Load()) data.Add(sample.File);
        return data;
    }

    [Fact]
    public async Task A_snom_360_subscribe_gets_the_200_then_the_notify_and_the_phones_200_ends_the_dialog()
    {
        using var phone = PhoneSocket.OnLoopback();
        var subscribe = Rewritten("snom-snom360.sip", phone);
        Assert.DoesNotContain("branch=", subscribe, StringComparison.Ordinal); // the captured form: no branch, rport
        phone.Send(subscribe, _daemon.Sip);

        var ok = await phone.ExpectAsync("the 200 to the SUBSCRIBE", Answer, Log);
        Assert.True(ok.Message.StatusCode == 200, $"expected 200 first, got:\n{ok.Message}");
        Assert.Equal(_daemon.Sip, ok.From);
        var sent = WireMessage.Parse(Encoding.UTF8.GetBytes(subscribe));
        Assert.Equal(sent.CallId, ok.Message.CallId);
        Assert.Equal("1 SUBSCRIBE", ok.Message.Header("CSeq"));
        Assert.Equal(sent.FromTag, ok.Message.FromTag);
        Assert.False(string.IsNullOrEmpty(ok.Message.ToTag), $"200 without a To-tag:\n{ok.Message}");
        Assert.Equal("0", ok.Message.Header("Expires"));
        Assert.Equal($"<sip:127.0.0.1:{_daemon.Sip.Port}>", ok.Message.Header("Contact"));
        var via = ok.Message.Header("Via");
        Assert.Equal("127.0.0.1", WireMessage.Parameter(via, "received"));
        Assert.Equal(phone.LocalEndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), WireMessage.Parameter(via, "rport"));

        var notify = await phone.ExpectAsync("the NOTIFY", Answer, Log);
        AssertNotify(notify, sent, ok.Message.ToTag!, _daemon.SettingsUrl("00041329882c"));
        Assert.Equal($"sip:127.0.0.1:{phone.LocalEndPoint.Port}", notify.Message.RequestUri); // the Contact

        var answeredAt = phone.Now;
        phone.Answer(notify);
        // Copies that arrived before our answer are Timer E doing its job while the test was slow to read.
        var after = (await phone.CollectAsync(TimeSpan.FromSeconds(2))).Where(a => a.At >= answeredAt).ToList();
        Assert.True(after.Count == 0,
            $"the dialog should be over after our 200, but {after.Count} more datagram(s) arrived:\n{string.Join("\n", after.Select(a => a.Message.StartLine))}");
    }

    [Fact]
    public async Task An_unanswered_notify_is_retransmitted_after_about_half_a_second_and_again_a_second_later()
    {
        using var phone = PhoneSocket.OnLoopback();
        phone.Send(Rewritten("snom-snom360.sip", phone), _daemon.Sip);
        var ok = await phone.ExpectAsync("the 200", Answer, Log);
        Assert.Equal(200, ok.Message.StatusCode);
        var first = await phone.ExpectAsync("the NOTIFY", Answer, Log);
        Assert.Equal("NOTIFY", first.Message.Method);

        // Timer E: T1 = 0.5 s, then 2·T1 — copies at ~0.5 s and ~1.5 s after the original (loose bounds: a busy CI box).
        var second = await phone.ExpectAsync("the first NOTIFY retransmission", TimeSpan.FromSeconds(3), Log);
        var third = await phone.ExpectAsync("the second NOTIFY retransmission", TimeSpan.FromSeconds(3), Log);
        foreach (var copy in new[] { second, third })
            Assert.True(copy.Message.Raw.AsSpan().SequenceEqual(first.Message.Raw), $"a retransmission must be byte-identical:\n{copy.Message}\nvs\n{first.Message}");
        var e1 = (second.At - first.At).TotalSeconds;
        var e2 = (third.At - first.At).TotalSeconds;
        Assert.InRange(e1, 0.35, 1.0);
        Assert.InRange(e2, 1.2, 2.3);
        Assert.InRange(e2 - e1, 0.75, 1.6); // the interval doubled

        // End the transaction so it does not run on into the other tests.
        phone.Answer(third);
        var after = await phone.CollectAsync(TimeSpan.FromSeconds(1.5));
        Assert.All(after, a => Assert.True(a.Message.Raw.AsSpan().SequenceEqual(first.Message.Raw),
            $"only a NOTIFY copy already in flight may still arrive, got:\n{a.Message}"));
        Assert.True(after.Count <= 1, $"{after.Count} NOTIFY copies after our 200");
    }

    [Theory]
    [MemberData(nameof(VendorFiles))]
    public async Task Every_vendor_form_gets_a_notify_with_the_settings_url_of_its_own_mac(string file)
    {
        var sample = VendorSamples.Load().Single(s => s.File == file);
        using var phone = PhoneSocket.OnLoopback();
        var subscribe = Rewritten(file, phone);
        phone.Send(subscribe, _daemon.Sip);

        var ok = await phone.ExpectAsync($"the 200 to the {file} SUBSCRIBE", Answer, Log);
        Assert.True(ok.Message.StatusCode == 200, $"{file}: expected 200, got:\n{ok.Message}");
        var notify = await phone.ExpectAsync($"the NOTIFY for {file}", Answer, Log);
        // AudioCodes sends no MAC anywhere: the daemon keeps {mac} verbatim in the default template
        // (ProvisioningUrlResolver: phones that expand {mac} themselves fill it in).
        var mac = sample.Mac.Length > 0 ? sample.Mac : "{mac}";
        var expected = _daemon.SettingsUrl(mac);
        if (sample.Vendor == "grandstream")
        {
            // protocol.md §5.2: Grandstream treats the URL as a directory and fetches cfg<mac>.xml under it.
            expected = $"http://127.0.0.1:{_daemon.HttpPort}/settings/";
        }
        AssertNotify(notify, WireMessage.Parse(Encoding.UTF8.GetBytes(subscribe)), ok.Message.ToTag!, expected);
        phone.Answer(notify);
    }

    private string Log() => _daemon.Process.Describe();

    private static string Rewritten(string file, PhoneSocket phone)
    {
        var sample = VendorSamples.Load().Single(s => s.File == file);
        return TestMessages.RewriteSample(Encoding.UTF8.GetString(sample.Bytes), phone.LocalEndPoint, $"e2e{Guid.NewGuid():N}");
    }

    private static void AssertNotify(Arrival notify, WireMessage subscribe, string localTag, string expectedUrl)
    {
        var m = notify.Message;
        Assert.True(m.Method == "NOTIFY", $"expected the NOTIFY, got:\n{m}");
        Assert.Equal(subscribe.CallId, m.CallId);
        Assert.Equal(localTag, m.FromTag);            // our tag from the 200
        Assert.Equal(subscribe.FromTag, m.ToTag);     // the phone's tag
        Assert.Equal("NOTIFY", m.Header("CSeq")!.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        Assert.StartsWith("ua-profile", m.Header("Event"), StringComparison.Ordinal);
        Assert.StartsWith("terminated", m.Header("Subscription-State"), StringComparison.Ordinal);
        Assert.Equal("application/url", m.Header("Content-Type"));
        Assert.StartsWith("z9hG4bK", WireMessage.Parameter(m.Header("Via"), "branch"), StringComparison.Ordinal);
        Assert.Equal(expectedUrl, m.Body.TrimEnd('\r', '\n'));
        Assert.Equal(Encoding.UTF8.GetByteCount(m.Body).ToString(System.Globalization.CultureInfo.InvariantCulture), m.Header("Content-Length"));
    }
}
