using SnomActors.EndToEnd.Tests.Support;

namespace SnomActors.EndToEnd.Tests;

/// <summary>Error responses on the unicast path, over the wire (protocol.md §4.6).</summary>
[Collection(LoopbackDaemonCollection.Name)]
public sealed class UnicastErrorTests(LoopbackDaemonFixture fixture)
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(5);
    private readonly LoopbackDaemon _daemon = fixture.Daemon;

    [Fact]
    public async Task An_invite_is_answered_405_with_an_allow_header_listing_subscribe_and_notify()
    {
        using var phone = PhoneSocket.OnLoopback();
        var callId = $"e2e-invite-{Guid.NewGuid():N}";
        phone.Send(TestMessages.Invite(phone.LocalEndPoint, _daemon.Sip, callId), _daemon.Sip);

        var reply = await phone.ExpectAsync("the 405", Answer, () => _daemon.Process.Describe());
        Assert.True(reply.Message.StatusCode == 405, $"expected 405, got:\n{reply.Message}");
        Assert.Equal(callId, reply.Message.CallId);
        Assert.Equal("1 INVITE", reply.Message.Header("CSeq"));
        Assert.False(string.IsNullOrEmpty(reply.Message.ToTag));
        var allow = reply.Message.Header("Allow");
        Assert.NotNull(allow);
        var methods = allow!.Split(',', StringSplitOptions.TrimEntries);
        Assert.Contains("SUBSCRIBE", methods);
        Assert.Contains("NOTIFY", methods);
        Assert.DoesNotContain("INVITE", methods);
        await AssertNothingElse(phone);
    }

    [Theory]
    [InlineData("CSeq: banana SUBSCRIBE", "CSeq")]
    [InlineData("Content-Length: 999", "Content-Length")]
    public async Task A_malformed_request_with_a_usable_via_gets_a_400_whose_reason_names_the_fault(string badLine, string named)
    {
        using var phone = PhoneSocket.OnLoopback();
        var good = TestMessages.Subscribe(phone.LocalEndPoint, TestMessages.NewMac(), $"e2e-bad-{Guid.NewGuid():N}");
        var header = badLine[..badLine.IndexOf(':')];
        var lines = good.Split("\r\n").Select(l => l.StartsWith(header + ":", StringComparison.Ordinal) ? badLine : l);
        var bad = string.Join("\r\n", lines);
        Assert.Contains(badLine, bad, StringComparison.Ordinal);
        phone.Send(bad, _daemon.Sip);

        var reply = await phone.ExpectAsync("the 400", Answer, () => _daemon.Process.Describe());
        Assert.True(reply.Message.StatusCode == 400, $"expected 400, got:\n{reply.Message}");
        Assert.Contains(named, reply.Message.ReasonPhrase, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("127.0.0.1", WireMessage.Parameter(reply.Message.Header("Via"), "received"));
        await AssertNothingElse(phone);
    }

    [Fact]
    public async Task Garbage_that_still_carries_a_via_gets_a_400_naming_the_bad_request_line()
    {
        using var phone = PhoneSocket.OnLoopback();
        phone.Send($"HELLO THERE\r\nVia: SIP/2.0/UDP 127.0.0.1:{phone.LocalEndPoint.Port};branch=z9hG4bKgarbage;rport\r\n\r\n", _daemon.Sip);

        var reply = await phone.ExpectAsync("the 400", Answer, () => _daemon.Process.Describe());
        Assert.True(reply.Message.StatusCode == 400, $"expected 400, got:\n{reply.Message}");
        Assert.Contains("request line", reply.Message.ReasonPhrase, StringComparison.OrdinalIgnoreCase);
        await AssertNothingElse(phone);
    }

    [Fact]
    public async Task A_subscribe_for_the_presence_package_gets_489_with_allow_events_ua_profile_and_no_notify()
    {
        using var phone = PhoneSocket.OnLoopback();
        var callId = $"e2e-presence-{Guid.NewGuid():N}";
        phone.Send(TestMessages.Subscribe(phone.LocalEndPoint, TestMessages.NewMac(), callId, eventHeader: "presence"), _daemon.Sip);

        var reply = await phone.ExpectAsync("the 489", Answer, () => _daemon.Process.Describe());
        Assert.True(reply.Message.StatusCode == 489, $"expected 489, got:\n{reply.Message}");
        Assert.Equal(callId, reply.Message.CallId);
        Assert.Equal("ua-profile", reply.Message.Header("Allow-Events"));
        await AssertNothingElse(phone);
    }

    /// <summary>An error ends the exchange: no NOTIFY, no second answer.</summary>
    private static async Task AssertNothingElse(PhoneSocket phone)
    {
        var more = await phone.CollectAsync(TimeSpan.FromMilliseconds(700));
        Assert.True(more.Count == 0, $"unexpected extra datagram(s):\n{string.Join("\n", more.Select(a => a.Message.StartLine))}");
    }
}
