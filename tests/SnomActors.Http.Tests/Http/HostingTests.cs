using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SnomActors.Http.Hosting;

namespace SnomActors.Http.Tests.Http;

public sealed class HostingTests
{
    [Fact]
    public async Task Serves_https_with_a_pkcs12_certificate_file_next_to_plain_http()
    {
        var pfx = Path.Combine(Path.GetTempPath(), $"snomactors-{Guid.NewGuid():N}.pfx");
        using (var key = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllBytesAsync(pfx, cert.Export(X509ContentType.Pkcs12, "pw"));
        }
        try
        {
            await using var host = await HttpHost.StartAsync(o => o with
            {
                Urls = ["http://127.0.0.1:0", "https://127.0.0.1:0"],
                Certificate = new HttpsCertificateOptions(pfx, "pw"),
            });
            var addresses = host.Addresses;
            var https = addresses.Single(a => a.StartsWith("https://", StringComparison.Ordinal));
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, c, _, _) => c?.Subject == "CN=127.0.0.1" };
            using var client = new HttpClient(handler) { BaseAddress = new Uri(https) };
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
            Assert.Contains(addresses, a => a.StartsWith("http://", StringComparison.Ordinal));
        }
        finally { File.Delete(pfx); }
    }

    [Fact]
    public void An_https_url_without_a_certificate_is_refused_at_startup()
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        var e = Assert.Throws<InvalidOperationException>(() =>
            builder.ConfigureSnomActorsKestrel(new HttpOptions { Urls = ["https://127.0.0.1:0"] }));
        Assert.Contains("certificate", e.Message);
    }

    [Fact]
    public async Task Health_endpoints_report_live_and_ready_once_the_registry_is_open()
    {
        await using var host = await HttpHost.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/health/live")).StatusCode);
        await HttpHost.Eventually(async () => (await host.Client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK);
    }
}
