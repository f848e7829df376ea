using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SnomActors.Http.Hosting;
using SnomActors.Http.Simulation;

namespace SnomActors.Http.Tests.Http;

/// <summary>
/// <c>POST /api/simulations</c> and <c>/api/simulations/current</c> on the real HTTP side: what is
/// booted (the imported MACs unless the request lists some), every refusal with the field at fault,
/// and the answers for a boot already running or no SIP side. The boot itself is recorded by a fake;
/// the real one runs against a real daemon in the end-to-end and browser tests.
/// </summary>
public sealed class SimulationApiTests
{
    private sealed class RecordingBoot : ISimulatedBoot
    {
        public List<SimulatedBootRequest> Started { get; } = [];
        public SimulatedBootStartOutcome Outcome { get; set; } = SimulatedBootStartOutcome.Started;
        public SimulationDto? Current { get; set; }
        public bool Running { get; set; }

        public Task<SimulatedBootStart> StartAsync(SimulatedBootRequest request, CancellationToken cancellationToken)
        {
            if (Outcome != SimulatedBootStartOutcome.Started)
                return Task.FromResult(new SimulatedBootStart(Outcome, null, Outcome == SimulatedBootStartOutcome.AlreadyRunning ? "already running" : "no SIP side"));
            Started.Add(request);
            Current = Status(request.Macs.Count, "running");
            return Task.FromResult(new SimulatedBootStart(Outcome, Current));
        }

        public Task<SimulationDto?> GetCurrentAsync(CancellationToken cancellationToken) => Task.FromResult(Current);

        public bool Stop()
        {
            if (!Running) return false;
            Current = Current! with { State = "stopping" };
            return true;
        }

        public static SimulationDto Status(int phones, string state) =>
            new("b-1", state, phones, 0, 0, 0, 0, 0, 0, 50, null, "127.0.0.1:5060", true, DateTimeOffset.UnixEpoch, null, null, null);
    }

    private static async Task<(HttpHost Host, RecordingBoot Boot)> StartAsync(Func<HttpOptions, HttpOptions>? configure = null)
    {
        var boot = new RecordingBoot();
        var host = await HttpHost.StartAsync(configure, services => services.AddSingleton<ISimulatedBoot>(boot));
        return (host, boot);
    }

    private static Task<HttpResponseMessage> PostAsync(HttpHost host, string? json) =>
        host.Client.PostAsync("/api/simulations", json is null ? null : new StringContent(json, Encoding.UTF8, "application/json"));

    private static async Task ImportAsync(HttpHost host, string csv)
    {
        using var response = await host.Client.PostAsync("/api/variables/import", new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string? field, string detailPart)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(detailPart, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        if (field is not null) Assert.Equal(field, problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Without_a_body_every_imported_phone_boots_at_the_default_rate_and_the_answer_points_at_its_progress()
    {
        var (host, boot) = await StartAsync();
        await using var _ = host;
        await ImportAsync(host, "mac,extension\n00:04:13:00:00:01,101\n80-5E-C0-00-00-02,102\naabbcc000003,103\n");

        using var response = await PostAsync(host, null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("/api/simulations/current", response.Headers.Location?.ToString());
        var request = Assert.Single(boot.Started);
        Assert.Equal(["000413000001", "805ec0000002", "aabbcc000003"], request.Macs.Order());
        Assert.Equal(SimulatedBootOptions.DefaultRate, request.Rate);
        Assert.True(request.Download);
        Assert.Equal("snom=1", request.UnknownOuiMix.ToString());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(3, body.GetProperty("phones").GetInt32());
        Assert.Equal("running", body.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Listed_macs_are_normalised_and_deduplicated_in_their_order_with_the_rate_vendor_and_download_given()
    {
        var (host, boot) = await StartAsync();
        await using var _ = host;

        using var response = await PostAsync(host, """{"macs":["00:04:13:AA:BB:01","0c383e000002","000413aabb01"],"rate":200,"vendor":"yealink=2,fanvil=1","download":false}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var request = Assert.Single(boot.Started);
        Assert.Equal(["000413aabb01", "0c383e000002"], request.Macs);
        Assert.Equal(200, request.Rate);
        Assert.False(request.Download);
        Assert.Equal("yealink=2,fanvil=1", request.UnknownOuiMix.ToString());
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        { """{"macs":["000413000001","not-a-mac"]}""", "macs[1]", "'not-a-mac' is not a MAC address" },
        { """{"macs":["000413000001",7]}""", "macs[1]", "'7' is not a MAC address" },
        { """{"macs":"000413000001"}""", "macs", "macs must be an array" },
        { """{"macs":[]}""", "macs", "macs is empty" },
        { """{"rate":0}""", "rate", "from 1 to 1000" },
        { """{"rate":1001}""", "rate", "from 1 to 1000" },
        { """{"rate":"fast"}""", "rate", "from 1 to 1000" },
        { """{"vendor":"nokia"}""", "vendor", "unknown vendor 'nokia'" },
        { """{"vendor":3}""", "vendor", "vendor must be a string" },
        { """{"download":"yes"}""", "download", "download must be true or false" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_field_is_refused_with_400_naming_it_and_nothing_boots(string json, string field, string detailPart)
    {
        var (host, boot) = await StartAsync();
        await using var _ = host;
        await ImportAsync(host, "mac\n000413000001\n");
        using var response = await PostAsync(host, json);
        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, field, detailPart);
        Assert.Empty(boot.Started);
    }

    [Fact]
    public async Task A_body_that_is_not_a_json_object_or_not_json_at_all_is_refused()
    {
        var (host, boot) = await StartAsync();
        await using var _ = host;
        using (var notJson = await PostAsync(host, "{\"rate\":"))
            await AssertRefusedAsync(notJson, HttpStatusCode.BadRequest, null, "not valid JSON");
        using (var array = await PostAsync(host, "[\"000413000001\"]"))
            await AssertRefusedAsync(array, HttpStatusCode.BadRequest, null, "must be a JSON object");
        using (var text = await host.Client.PostAsync("/api/simulations", new StringContent("rate=5", Encoding.UTF8, "text/plain")))
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        Assert.Empty(boot.Started);
    }

    [Fact]
    public async Task With_nothing_imported_and_no_macs_the_operator_is_told_to_import_first()
    {
        var (host, boot) = await StartAsync();
        await using var _ = host;
        using var response = await PostAsync(host, "{}");
        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "macs", "import a CSV");
        Assert.Empty(boot.Started);
    }

    [Fact]
    public async Task More_than_ten_thousand_listed_phones_are_refused()
    {
        var (host, boot) = await StartAsync();
        await using var _ = host;
        var macs = Enumerable.Range(0, SimulatedBootOptions.MaxPhones + 1).Select(i => $"\"000413{i:x6}\"");
        using var response = await PostAsync(host, $"{{\"macs\":[{string.Join(',', macs)}]}}");
        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "macs", "At most 10000 phones");
        Assert.Empty(boot.Started);
    }

    [Fact]
    public async Task A_boot_already_running_is_409_and_no_sip_side_is_503()
    {
        var (host, boot) = await StartAsync();
        await using var _ = host;
        boot.Outcome = SimulatedBootStartOutcome.AlreadyRunning;
        using (var running = await PostAsync(host, """{"macs":["000413000001"]}"""))
            await AssertRefusedAsync(running, HttpStatusCode.Conflict, null, "already running");
        boot.Outcome = SimulatedBootStartOutcome.Unavailable;
        using (var unavailable = await PostAsync(host, """{"macs":["000413000001"]}"""))
            await AssertRefusedAsync(unavailable, HttpStatusCode.ServiceUnavailable, null, "no SIP side");
    }

    [Fact]
    public async Task Switched_off_it_is_403_and_nothing_boots()
    {
        var (host, boot) = await StartAsync(o => o with { SimulatedBoot = new SimulatedBootOptions(Enabled: false) });
        await using var _ = host;
        using var response = await PostAsync(host, """{"macs":["000413000001"]}""");
        await AssertRefusedAsync(response, HttpStatusCode.Forbidden, null, "SimulatedBoot=false");
        Assert.Empty(boot.Started);
    }

    [Fact]
    public async Task Progress_and_stop_are_404_before_any_boot_and_report_the_boot_after()
    {
        var (host, boot) = await StartAsync();
        await using var _ = host;
        using (var none = await host.Client.GetAsync("/api/simulations/current"))
            await AssertRefusedAsync(none, HttpStatusCode.NotFound, null, "No simulated boot has run");
        using (var stopNone = await host.Client.DeleteAsync("/api/simulations/current"))
            await AssertRefusedAsync(stopNone, HttpStatusCode.NotFound, null, "No simulated boot is running");

        (await PostAsync(host, """{"macs":["000413000001","000413000002"]}""")).Dispose();
        boot.Running = true;
        var current = await host.GetJsonAsync("/api/simulations/current");
        Assert.Equal(2, current.GetProperty("phones").GetInt32());
        using var stop = await host.Client.DeleteAsync("/api/simulations/current");
        Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
        Assert.Equal("stopping", (await stop.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
    }

    [Fact]
    public async Task The_real_boot_in_a_process_without_the_sip_side_answers_503()
    {
        // No AddPnpCore in the HTTP test host: the router is never registered.
        await using var host = await HttpHost.StartAsync();
        using var response = await host.Client.PostAsync("/api/simulations",
            new StringContent("""{"macs":["000413000001"]}""", Encoding.UTF8, "application/json"));
        await AssertRefusedAsync(response, HttpStatusCode.ServiceUnavailable, null, "SIP side is not running");
    }

    [Fact]
    public async Task The_openapi_document_describes_the_simulation_endpoints()
    {
        await using var host = await HttpHost.StartAsync();
        var doc = await host.GetJsonAsync("/openapi/v1.json");
        var paths = doc.GetProperty("paths");
        Assert.True(paths.GetProperty("/api/simulations").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/api/simulations/current").TryGetProperty("get", out _));
        Assert.True(paths.GetProperty("/api/simulations/current").TryGetProperty("delete", out _));
    }
}
