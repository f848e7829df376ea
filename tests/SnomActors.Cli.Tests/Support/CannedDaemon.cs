using SnomActors.Server.Metrics;

namespace SnomActors.Cli.Tests.Support;

/// <summary>
/// One consistent set of daemon answers with numbers that appear nowhere else, so a test can tell
/// that what the CLI printed came from the server. The <c>/metrics</c> text is produced by the real
/// <see cref="PrometheusExporter"/>, which keeps the monitor honest about the exporter's names.
/// </summary>
public static class CannedDaemon
{
    public const int Devices = 4321;
    public const int LiveDialogs = 17;
    public const int Provisioned = 3907;
    public const int Acknowledged = 9876;
    public const int Sent200 = 10013;
    public const int Sent503 = 42;
    public const int Sent489 = 7;
    public const int NotifyTimeouts = 5;
    public const int NotifyRejected486 = 3;
    public const int Retransmissions = 321;
    public const int ShedDialogCap = 42;
    public const double UptimeSeconds = 93784; // 1d 02:03:04

    public const string StatsJson = """
        {"devices":4321,"byState":{"seen":11,"answered":12,"notified":13,"provisioned":3907,"downloaded":353,"failed":25},
         "liveDialogs":17,
         "timeline":[{"at":"2025-03-01T11:00:00Z","provisioned":0},{"at":"2025-03-01T11:01:00Z","provisioned":120},{"at":"2025-03-01T11:02:00Z","provisioned":60}],
         "boot":{"started":"2025-03-01T11:58:02Z","total":4000,"provisioned":3907}}
        """;

    public const string ReadyJson = """{"status":"ready","sip":["0.0.0.0:5060"]}""";

    public const string RecentJson = """
        {"total":4321,"items":[
          {"mac":"000413aabb01","vendor":"snom","model":"snomD785","firmware":"10.1.54.13","userAgent":"snomD785/10.1.54.13","lastIp":"10.20.0.31",
           "firstSeen":"2025-03-01T11:58:03Z","lastSeen":"2025-03-01T11:59:58Z","admission":"allowed","state":"downloaded",
           "steps":{"subscribeSeen":"2025-03-01T11:59:57Z","answered":"2025-03-01T11:59:57Z","notifySent":"2025-03-01T11:59:57Z","notifyAcked":"2025-03-01T11:59:57Z","failed":null,"failureReason":null,"settingsDownloaded":"2025-03-01T11:59:58Z"},
           "notifyUrl":"http://10.20.0.1:8080/settings/000413aabb01.xml"},
          {"mac":"805ec0ccdd02","vendor":"yealink","model":"T54W","firmware":null,"userAgent":"Yealink SIP-T54W","lastIp":"10.20.0.77",
           "firstSeen":"2025-03-01T11:58:05Z","lastSeen":"2025-03-01T11:59:41Z","admission":"allowed","state":"provisioned",
           "steps":{"subscribeSeen":null,"answered":null,"notifySent":null,"notifyAcked":null,"failed":null,"failureReason":null,"settingsDownloaded":null},"notifyUrl":null}
        ]}
        """;

    public const string FailuresJson = """
        {"total":25,"items":[
          {"mac":"c074adee0003","vendor":"grandstream","model":"GRP2612W","firmware":null,"userAgent":null,"lastIp":"10.20.0.99",
           "firstSeen":"2025-03-01T11:58:09Z","lastSeen":"2025-03-01T11:58:09Z","admission":"allowed","state":"failed",
           "steps":{"subscribeSeen":"2025-03-01T11:58:09Z","answered":"2025-03-01T11:58:09Z","notifySent":"2025-03-01T11:58:09Z","notifyAcked":null,
                    "failed":"2025-03-01T11:58:41Z","failureReason":"Timer F: no final response to the NOTIFY","settingsDownloaded":null},"notifyUrl":null}
        ]}
        """;

    public static string MetricsText()
    {
        var m = new PnpMetrics();
        for (var i = 0; i < Acknowledged; i++) m.NotifyOutcome("acknowledged");
        for (var i = 0; i < NotifyRejected486; i++) m.NotifyOutcome("rejected-486");
        for (var i = 0; i < NotifyTimeouts; i++) { m.NotifyOutcome("timeout"); m.NotifyTimedOut(); }
        for (var i = 0; i < Sent200; i++) m.ResponseSent(200);
        for (var i = 0; i < Sent503; i++) m.ResponseSent(503);
        for (var i = 0; i < Sent489; i++) m.ResponseSent(489);
        for (var i = 0; i < ShedDialogCap; i++) m.ShedRequest("dialog-cap");
        for (var i = 0; i < Retransmissions; i++) m.NotifyRetransmitted();
        for (var i = 0; i < LiveDialogs; i++) m.DialogStarted();
        for (var i = 0; i < 100; i++) m.SubscribeToOk.Observe(TimeSpan.FromMilliseconds(0.8));
        for (var i = 0; i < 100; i++) m.SubscribeToNotifyAck.Observe(TimeSpan.FromMilliseconds(40));
        return PrometheusExporter.ToText(m, null, m.StartedAt.AddSeconds(UptimeSeconds));
    }

    public static async Task<FakeDaemon> StartAsync(bool ready = true)
    {
        var fake = await FakeDaemon.StartAsync();
        fake.Json("/api/stats", StatsJson)
            .Text("/metrics", MetricsText())
            .Json("/api/devices?limit=8", RecentJson)
            .Json("/api/devices?state=failed&limit=8", FailuresJson);
        if (ready) fake.Json("/health/ready", ReadyJson);
        else fake.Problem("/health/ready", 503, """{"title":"Not ready","status":503,"detail":"SIP transport not bound yet"}""");
        return fake;
    }
}
