using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SnomActors.Http.Hosting;
using SnomActors.Registry.Actors;
using SnomActors.Registry.Config;
using SnomActors.Registry.Store;
using SnomActors.Server.Messages;
using SnomActors.Sip.Identity;

namespace SnomActors.Http.Tests.Http;

/// <summary>
/// A real daemon HTTP side for one test: Kestrel on 127.0.0.1 port 0, a real ActorSystem with the
/// DeviceRegistry on a temporary SQLite file, wired exactly as the daemon wires it.
/// </summary>
public sealed class HttpHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataDirectory;

    private HttpHost(WebApplication app, string dataDirectory, Uri baseAddress, IReadOnlyList<string> addresses)
    {
        Addresses = addresses;
        _app = app;
        _dataDirectory = dataDirectory;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(20) };
    }

    public Uri BaseAddress { get; }
    public IReadOnlyList<string> Addresses { get; }
    public HttpClient Client { get; }
    public IServiceProvider Services => _app.Services;
    public ActorSystem System => _app.Services.GetRequiredService<ActorSystem>();

    /// <param name="store">Wraps the real SQLite store (fault injection); the registry uses what it returns.</param>
    public static async Task<HttpHost> StartAsync(Func<HttpOptions, HttpOptions>? configure = null, Action<IServiceCollection>? services = null,
        Func<RegistryOptions, RegistryOptions>? registry = null, Func<IRegistryStore, IRegistryStore>? store = null)
    {
        var data = Path.Combine(Path.GetTempPath(), "snomactors-http-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        var options = new HttpOptions { Urls = ["http://127.0.0.1:0"], StatsInterval = TimeSpan.FromMilliseconds(200) };
        if (configure is not null) options = configure(options);

        var builder = WebApplication.CreateSlimBuilder();
        if (Environment.GetEnvironmentVariable("SNOMACTORS_TEST_LOG") != "1") builder.Logging.ClearProviders();
        builder.ConfigureSnomActorsKestrel(options);
        builder.Services.AddAkka("http-tests", b =>
        {
            b.ConfigureLoggers(l => l.LogLevel = Akka.Event.LogLevel.WarningLevel);
            var registryOptions = new RegistryOptions { DataDirectory = data, FlushInterval = TimeSpan.FromMilliseconds(20) };
            registryOptions = registry is null ? registryOptions : registry(registryOptions);
            if (store is null) b.AddDeviceRegistry(registryOptions);
            else b.AddDeviceRegistry(registryOptions, store(RegistryStoreFactory.Create(registryOptions)), ownsStore: true);
        });
        services?.Invoke(builder.Services);
        builder.Services.AddSnomActorsHttp(options);
        var app = builder.Build();
        app.MapSnomActorsHttp();
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();
        return new HttpHost(app, data, new Uri(addresses.First(a => a.StartsWith("http://", StringComparison.Ordinal))), addresses);
    }

    /// <summary>Makes the registry know a phone, as the PnP side does: a SubscribeSeen on the EventStream.</summary>
    public async Task SeeDeviceAsync(string mac, string vendor = "snom", string? model = "snom360", string? firmware = "8.7.5")
    {
        // The registry subscribes to the EventStream when it starts; an event published before is lost.
        var registry = await Services.GetRequiredService<IRequiredActor<DeviceRegistryActorKey>>().GetAsync();
        await Eventually(async () => (await registry.Ask<DeviceRegistry.ReadyResult>(DeviceRegistry.GetReady.Instance, TimeSpan.FromSeconds(5))).Ready);
        var identity = new DeviceIdentity(mac, vendor, model, firmware, $"{model}/{firmware}");
        System.EventStream.Publish(new SubscribeSeen(Guid.NewGuid().ToString("N"), identity,
            new IPEndPoint(IPAddress.Parse("10.1.2.3"), 5060), true, DateTimeOffset.UtcNow));
        var last = string.Empty;
        try
        {
            await Eventually(async () =>
            {
                var r = await Client.GetAsync($"/api/devices/{mac}");
                last = $"{(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}";
                return r.StatusCode == HttpStatusCode.OK;
            });
        }
        catch (TimeoutException) { throw new TimeoutException($"Device {mac} never appeared; last answer: {last}"); }
    }

    public async Task<HttpResponseMessage> PutXmlAsync(string path, string xml, string contentType = "application/xml") =>
        await Client.PutAsync(path, new StringContent(xml, Encoding.UTF8, contentType));

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        var response = await Client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Sends a request line byte for byte (HttpClient would normalise dot segments away).</summary>
    public async Task<(int Status, string Head, string Body)> RawGetAsync(string target)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(BaseAddress.Host, BaseAddress.Port);
        var stream = tcp.GetStream();
        var request = Encoding.Latin1.GetBytes($"GET {target} HTTP/1.1\r\nHost: {BaseAddress.Authority}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(request);
        using var all = new MemoryStream();
        await stream.CopyToAsync(all).WaitAsync(TimeSpan.FromSeconds(10));
        var bytes = all.ToArray();
        var split = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        var head = Encoding.Latin1.GetString(bytes, 0, split >= 0 ? split : bytes.Length);
        var status = int.Parse(head.Split(' ')[1]);
        var body = split >= 0 ? bytes[(split + 4)..] : [];
        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)) body = Dechunk(body);
        return (status, head, Encoding.UTF8.GetString(body));
    }

    private static byte[] Dechunk(byte[] chunked)
    {
        var output = new MemoryStream();
        var pos = 0;
        while (true)
        {
            var eol = pos + chunked.AsSpan(pos).IndexOf("\r\n"u8);
            var size = Convert.ToInt32(Encoding.ASCII.GetString(chunked, pos, eol - pos).Split(';')[0], 16);
            if (size == 0) return output.ToArray();
            output.Write(chunked, eol + 2, size);
            pos = eol + 2 + size + 2;
        }
    }

    public static async Task Eventually(Func<Task<bool>> condition, int timeoutMs = 5000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Condition not met in time.");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
    }
}
