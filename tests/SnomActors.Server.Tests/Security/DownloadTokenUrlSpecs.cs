using System.Net;
using System.Text;
using Akka.Event;
using SnomActors.Server.Config;
using SnomActors.Server.Messages;
using SnomActors.Server.Provisioning;
using SnomActors.Server.Tests.Support;
using SnomActors.Sip.Identity;
using Xunit.Abstractions;

namespace SnomActors.Server.Tests.Security;

/// <summary>Issue 5 item 4: with the Token policy the NOTIFY carries the phone's token, and no log line does.</summary>
public sealed class DownloadTokenRouterSpecs(ITestOutputHelper output) : PnpSpec(output)
{
    private const string Snom360Mac = "00041329882c";

    private static DownloadTokenTable Table(DownloadProtectionMode defaultMode, params (string Vendor, DownloadProtectionMode Mode)[] vendors) =>
        new(new DownloadProtectionPolicy
        {
            Default = defaultMode,
            Vendors = vendors.ToDictionary(v => v.Vendor, v => v.Mode, StringComparer.OrdinalIgnoreCase),
        });

    private static string UrlIn(Outbound notify) => Encoding.UTF8.GetString(notify.Request.Body.ToArray()).Trim();

    [Fact]
    public void With_the_token_policy_the_NOTIFY_URL_carries_the_phones_token_and_no_log_line_does()
    {
        // Info level for the actors created from here on (BusLogging reads the level when an actor starts).
        Sys.EventStream.SetLogLevel(LogLevel.InfoLevel);
        var logs = CreateTestProbe("logs");
        Sys.EventStream.Subscribe(logs.Ref, typeof(LogEvent));
        var tokens = Table(DownloadProtectionMode.Token);
        StartRouter(DefaultOptions with { DownloadTokens = tokens });

        var exchange = StartExchange(SipText.Snom360);
        var url = UrlIn(exchange.Notify);
        var token = tokens.Find(Snom360Mac);
        Assert.NotNull(token);
        Assert.Equal($"{DefaultUrlFor(Snom360Mac)}?token={token}", url);

        Inject(PhoneAnswer(exchange.Notify.Request, 200), ByUnicast());
        ExpectEvent<NotifyAcknowledged>();
        Settle(exchange.Dialog);

        var lines = new List<string>();
        while (logs.HasMessages) lines.Add(logs.ReceiveOne(TimeSpan.Zero) is LogEvent e ? e.ToString() : string.Empty);
        var provisioned = Assert.Single(lines, l => l.Contains("provisioned with", StringComparison.Ordinal));
        Assert.Contains("token=***", provisioned);
        Assert.DoesNotContain(lines, l => l.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public void The_same_phone_gets_the_same_token_on_its_next_boot()
    {
        var tokens = Table(DownloadProtectionMode.Token);
        StartRouter(DefaultOptions with { DownloadTokens = tokens });
        var first = UrlIn(StartExchange(SipText.Snom360).Notify);
        var second = UrlIn(StartExchange(SipText.Snom360.With("Call-ID", "second-boot@10.0.0.1")).Notify);
        Assert.Equal(first, second);
        Assert.Equal(1, tokens.Count);
    }

    [Fact]
    public void A_vendor_without_the_token_policy_gets_the_plain_URL()
    {
        var tokens = Table(DownloadProtectionMode.None, ("yealink", DownloadProtectionMode.Token));
        StartRouter(DefaultOptions with { DownloadTokens = tokens });
        var url = UrlIn(StartExchange(SipText.Snom360).Notify);
        Assert.Equal(DefaultUrlFor(Snom360Mac), url);
        Assert.Null(tokens.Find(Snom360Mac));
    }
}

/// <summary>The resolver's part: where the token goes in the URL, and how a URL is redacted for logs.</summary>
public sealed class DownloadTokenUrlSpecs
{
    private static readonly DeviceIdentity Snom = new("000413b50a1c", Vendors.Snom, "snomM700", "03.23.0005", "snomM700/03.23.0005");
    private static readonly IPAddress Phone = IPAddress.Parse("10.0.0.91");
    private static readonly IPAddress Local = IPAddress.Parse("10.0.0.1");

    private static (string Url, string Token) Resolve(string template)
    {
        var tokens = new DownloadTokenTable(new DownloadProtectionPolicy { Default = DownloadProtectionMode.Token });
        var url = new ProvisioningUrlResolver(new PnpOptions { ProvisioningUrlTemplate = template, DownloadTokens = tokens }).Resolve(Snom, Phone, Local);
        return (url, tokens.Find(Snom.Mac!)!);
    }

    [Fact]
    public void A_token_placeholder_puts_the_token_where_the_template_says()
    {
        var (url, token) = Resolve("http://{server}:{port}/t/{token}/{mac}.xml");
        Assert.Equal($"http://10.0.0.1:8080/t/{token}/000413b50a1c.xml", url);
    }

    [Fact]
    public void Without_a_placeholder_the_token_joins_an_existing_query_with_an_ampersand()
    {
        var (url, token) = Resolve("http://{server}/settings.xml?mac={mac}");
        Assert.Equal($"http://10.0.0.1/settings.xml?mac=000413b50a1c&token={token}", url);
    }

    [Fact]
    public void Tokens_are_256_random_bits_in_base64url()
    {
        var a = DownloadTokenTable.NewToken();
        Assert.Equal(43, a.Length);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", a);
        Assert.NotEqual(a, DownloadTokenTable.NewToken());
    }

    [Fact]
    public void Without_a_token_policy_the_placeholder_becomes_empty_and_nothing_is_appended()
    {
        var url = new ProvisioningUrlResolver(new PnpOptions { ProvisioningUrlTemplate = "http://{server}/s/{mac}.xml?t={token}" }).Resolve(Snom, Phone, Local);
        Assert.Equal("http://10.0.0.1/s/000413b50a1c.xml?t=", url);
    }

    [Theory]
    [InlineData("http://10.0.0.1:8080/settings/000413b50a1c.xml?token=abc", "http://10.0.0.1:8080/settings/000413b50a1c.xml?token=***")]
    [InlineData("http://h/s.xml?mac=000413b50a1c&TOKEN=abc&x=1", "http://h/s.xml?mac=000413b50a1c&token=***&x=1")]
    [InlineData("http://h/t/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/000413b50a1c.xml", "http://h/t/***/000413b50a1c.xml")]
    [InlineData("http://10.0.0.1:8080/settings/000413b50a1c.xml", "http://10.0.0.1:8080/settings/000413b50a1c.xml")]
    public void Redact_masks_query_tokens_and_long_secrets_in_the_path_and_leaves_plain_URLs_alone(string url, string redacted)
    {
        Assert.Equal(redacted, ProvisioningUrlResolver.Redact(url));
    }

    [Fact]
    public void Tokens_match_in_constant_time_only_for_their_own_phone()
    {
        var tokens = new DownloadTokenTable(DownloadProtectionPolicy.Open);
        var token = tokens.GetOrIssue("00:04:13:B5:0A:1C");
        Assert.True(tokens.Matches("000413b50a1c", token));
        Assert.False(tokens.Matches("000413b50a1d", token));
        Assert.False(tokens.Matches("000413b50a1c", token[..^1]));
        Assert.False(tokens.Matches("000413b50a1c", null));
        var rotated = tokens.Rotate("000413b50a1c");
        Assert.False(tokens.Matches("000413b50a1c", token));
        Assert.True(tokens.Matches("000413b50a1c", rotated));
    }
}
