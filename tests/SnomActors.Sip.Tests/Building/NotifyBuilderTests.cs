using System.Net;
using System.Text;
using SnomActors.Sip.Building;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Tests.Support;

namespace SnomActors.Sip.Tests.Building;

public sealed class NotifyBuilderTests
{
    private static readonly IPEndPoint SnomSource = new(IPAddress.Parse("141.41.40.131"), 2055);
    private const string Url = "http://141.41.40.77/~elisa/sipphone/settings.xml?mac={mac}&name=Grüße";

    private static (SipRequest Subscribe, NotifierDialog Dialog, SipRequest Notify, byte[] Bytes) BuildSnomNotify(string branch = "z9hG4bKfresh0001")
    {
        var subscribe = Wire.ParseRequest(Wire.SnomSubscribe);
        var dialog = NotifierDialog.FromSubscribe(subscribe, SnomSource, "ourtag42", "sip:141.41.40.184:5060");
        var bytes = NotifyBuilder.Build(dialog, 2, "141.41.40.184:5060", branch, NotifyBuilder.TerminatedTimeout,
            NotifyBuilder.ApplicationUrl, NotifyBuilder.UrlBody(Url));
        return (subscribe, dialog, Wire.ParseRequest(bytes), bytes);
    }

    [Fact]
    public void The_dialog_swaps_the_subscribe_uris_and_remembers_both_tags()
    {
        var (subscribe, dialog, _, _) = BuildSnomNotify();
        Assert.Equal(subscribe.CallId, dialog.CallId);
        Assert.Equal("ourtag42", dialog.LocalTag);
        Assert.Equal("<sip:MAC%3a00041329882C@voip.ikt-bs.de>", dialog.LocalNameAddress);
        Assert.Equal("<sip:MAC%3a00041329882C@voip.ikt-bs.de>;tag=1023721533", dialog.RemoteNameAddress);
        Assert.Equal("sip:141.41.40.131:2055", dialog.Target.RequestUri);
        Assert.Equal(SnomSource, dialog.Target.Destination);
        Assert.Empty(dialog.RouteSet);
        Assert.Equal("ua-profile", dialog.EventHeader);
    }

    [Fact]
    public void The_notify_parses_back_with_every_header_protocol_md_recommends()
    {
        var (subscribe, _, notify, _) = BuildSnomNotify();

        Assert.Same(SipMethods.Notify, notify.Method);
        Assert.Equal("sip:141.41.40.131:2055", notify.RequestUri.Raw);
        var via = Assert.Single(notify.Vias);
        Assert.Equal("z9hG4bKfresh0001", via.Branch);
        Assert.True(via.HasRfc3261Branch);
        Assert.True(via.HasRPort);
        Assert.Equal("141.41.40.184", via.Host);
        Assert.Equal(70, notify.MaxForwards);
        Assert.Equal("ourtag42", notify.From.Tag);
        Assert.Equal(subscribe.To.Uri.Raw, notify.From.Uri.Raw);
        Assert.Equal(subscribe.From.Tag, notify.To.Tag);
        Assert.Equal(subscribe.From.Uri.Raw, notify.To.Uri.Raw);
        Assert.Equal(subscribe.CallId, notify.CallId);
        Assert.Equal(new SnomActors.Sip.Headers.CSeqHeader(2, "NOTIFY"), notify.CSeq);
        Assert.Equal("sip:141.41.40.184:5060", notify.Contact!.Uri.Raw);
        Assert.Equal("ua-profile", notify.Event!.Raw);
        Assert.Equal("terminated;reason=timeout", notify.GetFirst(HeaderNames.SubscriptionState));
        Assert.Equal("application/url", notify.ContentType);
    }

    [Fact]
    public void The_notify_body_is_the_url_and_content_length_counts_its_octets()
    {
        var (_, _, notify, bytes) = BuildSnomNotify();
        var octets = Encoding.UTF8.GetByteCount(Url);
        Assert.NotEqual(Url.Length, octets);
        Assert.Equal(octets.ToString(System.Globalization.CultureInfo.InvariantCulture), notify.GetFirst(HeaderNames.ContentLength));
        Assert.Equal(Encoding.UTF8.GetBytes(Url), notify.Body.ToArray());
        Assert.True(bytes.AsSpan().EndsWith(Encoding.UTF8.GetBytes(Url)));
    }

    [Fact]
    public void The_branch_is_the_fresh_one_given_never_the_phones()
    {
        var (subscribe, _, notify, _) = BuildSnomNotify(SipIdentifiers.NewBranch());
        Assert.NotEqual(subscribe.TopVia.Raw, notify.TopVia.Raw);
        Assert.StartsWith("z9hG4bK", notify.TopVia.Branch, StringComparison.Ordinal);
        Assert.Equal(23, notify.TopVia.Branch!.Length);
    }

    [Fact]
    public void An_empty_body_has_no_content_type_and_a_zero_length()
    {
        var subscribe = Wire.ParseRequest(Wire.SnomSubscribe);
        var dialog = NotifierDialog.FromSubscribe(subscribe, SnomSource, "t", "sip:192.0.2.1:5060");
        var notify = Wire.ParseRequest(NotifyBuilder.Build(dialog, 1, "192.0.2.1:5060", "z9hG4bKx1", NotifyBuilder.TerminatedTimeout,
            NotifyBuilder.ApplicationUrl, []));
        Assert.Null(notify.ContentType);
        Assert.Equal("0", notify.GetFirst(HeaderNames.ContentLength));
    }

    [Fact]
    public void A_url_body_can_end_with_a_crlf_that_content_length_counts()
    {
        Assert.Equal("http://x/\r\n"u8.ToArray(), NotifyBuilder.UrlBody("http://x/", appendCrLf: true));
        Assert.Equal("http://x/"u8.ToArray(), NotifyBuilder.UrlBody("http://x/"));
    }

    [Fact]
    public void The_event_keeps_the_package_and_id_but_drops_the_subscribe_only_parameters()
    {
        var subscribe = Wire.ParseRequest(Wire.Subscribe(("Event", "Event: ua-profile;id=7;profile-type=\"device\";vendor=\"snom\"")));
        var dialog = NotifierDialog.FromSubscribe(subscribe, SnomSource, "t", "sip:192.0.2.1:5060");
        Assert.Equal("ua-profile;id=7", dialog.EventHeader);
    }

    [Theory]
    [InlineData("ua-profile;id=\"snom 360\";vendor=\"snom\"", "ua-profile;id=\"snom 360\"", "snom 360")]
    [InlineData("ua-profile;id=\"a\\\"b\"", "ua-profile;id=\"a\\\"b\"", "a\"b")]
    [InlineData("ua-profile;id", "ua-profile", null)]
    public void A_quoted_event_id_is_echoed_quoted_so_the_notify_parses_back_with_the_same_id(string subscribeEvent, string notifyEvent, string? id)
    {
        // AFL found this: an unquoted echo of id="snomINVITE 360" made a NOTIFY our own parser rejects.
        var subscribe = Wire.ParseRequest(Wire.Subscribe(("Event", "Event: " + subscribeEvent)));
        var dialog = NotifierDialog.FromSubscribe(subscribe, SnomSource, "t", "sip:192.0.2.1:5060");
        Assert.Equal(notifyEvent, dialog.EventHeader);

        var bytes = NotifyBuilder.Build(dialog, 1, "192.0.2.1:5060", "z9hG4bKx", NotifyBuilder.TerminatedTimeout,
            NotifyBuilder.ApplicationUrl, "http://192.0.2.1/s"u8);
        var notify = Wire.ParseRequest(bytes);
        Assert.Equal(id, notify.Event!.Id);
        Assert.Equal(subscribe.Event!.Id, notify.Event.Id);
    }

    [Fact]
    public void A_subscribe_to_with_a_tag_loses_that_tag_in_the_notify_from()
    {
        var subscribe = Wire.ParseRequest(Wire.Subscribe(("To", "To: \"PnP\" <sip:MAC%3a00041329882C@224.0.1.75>;tag=old;x=1")));
        var dialog = NotifierDialog.FromSubscribe(subscribe, SnomSource, "new", "sip:192.0.2.1:5060");
        var notify = Wire.ParseRequest(NotifyBuilder.Build(dialog, 1, "192.0.2.1:5060", "z9hG4bKx", NotifyBuilder.TerminatedTimeout,
            NotifyBuilder.ApplicationUrl, "u"u8));
        Assert.Equal("new", notify.From.Tag);
        Assert.Equal("1", notify.From.Parameters["x"]);
        Assert.Equal("PnP", notify.From.DisplayName);
    }

    [Fact]
    public void Record_route_of_the_subscribe_becomes_the_route_set()
    {
        var subscribe = Wire.ParseRequest(Wire.Subscribe(("Accept", "Record-Route: <sip:p1.example.com;lr>\r\nRecord-Route: <sip:p2.example.com;lr>")));
        var dialog = NotifierDialog.FromSubscribe(subscribe, SnomSource, "t", "sip:192.0.2.1:5060");
        var notify = Wire.ParseRequest(NotifyBuilder.Build(dialog, 1, "192.0.2.1:5060", "z9hG4bKx", NotifyBuilder.TerminatedTimeout,
            NotifyBuilder.ApplicationUrl, "u"u8));
        Assert.Equal(["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"], notify.GetList(HeaderNames.Route));
    }

    [Fact]
    public void A_check_sync_notify_parses_back()
    {
        var notify = Wire.ParseRequest(NotifyBuilder.BuildCheckSync("sip:192.0.2.10:5060", "192.0.2.1:5060", "z9hG4bKcs", "cs@192.0.2.1",
            "sip:pnp@192.0.2.1", "ft", "sip:192.0.2.10", 1, reboot: true, "sip:192.0.2.1:5060"));
        Assert.Equal("check-sync", notify.Event!.Package);
        Assert.Equal("true", notify.Event.Parameters["reboot"]);
        Assert.Equal("terminated", notify.GetFirst(HeaderNames.SubscriptionState));
    }
}
