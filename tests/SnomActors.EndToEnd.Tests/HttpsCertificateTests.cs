using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SnomActors.EndToEnd.Tests.Support;

namespace SnomActors.EndToEnd.Tests;

/// <summary>
/// <c>snomactors run --http-url https://… --http-cert FILE --http-cert-key FILE</c> (docs/security.md):
/// the daemon serves TLS with exactly the certificate named on the command line.
/// </summary>
public sealed class HttpsCertificateTests
{
    [Fact]
    public async Task Http_cert_and_http_cert_key_make_the_https_url_serve_that_certificate()
    {
        var files = Directory.CreateTempSubdirectory("snomactors-e2e-cert-");
        try
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=snomactors-e2e", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            var certFile = Path.Combine(files.FullName, "server.crt");
            var keyFile = Path.Combine(files.FullName, "server.key");
            await File.WriteAllTextAsync(certFile, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
            var httpsPort = LoopbackDaemon.FreeTcpPort();

            await using var daemon = await LoopbackDaemon.StartAsync(
                "--http-url", $"https://127.0.0.1:{httpsPort}", "--http-cert", certFile, "--http-cert-key", keyFile);

            string? served = null;
            using var handler = new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
                {
                    served = cert?.Thumbprint;
                    return true;
                },
            };
            using var https = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
            using var live = await https.GetAsync(new Uri($"https://127.0.0.1:{httpsPort}/health/live"));

            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal(certificate.Thumbprint, served);
        }
        finally
        {
            files.Delete(recursive: true);
        }
    }
}
