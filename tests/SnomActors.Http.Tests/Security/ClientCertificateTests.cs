using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SnomActors.Http.Hosting;
using SnomActors.Http.Security;
using SnomActors.Server.Provisioning;

namespace SnomActors.Http.Tests.Security;

/// <summary>
/// The ClientCertificate protection over real HTTPS on loopback: a test CA stands in for a vendor's
/// factory CA, and phone certificates name the MAC in the subject (snom style) or a SAN.
/// </summary>
public sealed class ClientCertificateTests : IDisposable
{
    private const string Mac = "000413aabbcc";
    private readonly string _dir = Directory.CreateTempSubdirectory("snomactors-certs-").FullName;
    private readonly X509Certificate2 _ca = CreateCa("CN=Test Factory CA");
    private readonly X509Certificate2 _otherCa = CreateCa("CN=Somebody Else CA");

    public void Dispose()
    {
        _ca.Dispose();
        _otherCa.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static X509Certificate2 CreateCa(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, string? sanDns = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        if (sanDns is not null)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(sanDns);
            request.CertificateExtensions.Add(san.Build());
        }
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1), RandomNumberGenerator.GetBytes(8));
        // SslStream needs the private key in a persisted form on Linux: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(issued.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);
    }

    private async Task<SecureHost> StartAsync()
    {
        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var server = serverRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var pfx = Path.Combine(_dir, "server.pfx");
        await File.WriteAllBytesAsync(pfx, server.Export(X509ContentType.Pkcs12, "pw"));
        var caFile = Path.Combine(_dir, "factory-ca.pem");
        await File.WriteAllTextAsync(caFile, _ca.ExportCertificatePem());

        var policy = new DownloadProtectionPolicy
        {
            Default = DownloadProtectionMode.None,
            Vendors = new Dictionary<string, DownloadProtectionMode> { ["snom"] = DownloadProtectionMode.ClientCertificate },
        };
        var secure = await SecureHost.StartAsync(policy, o => o with { ClientCertificateCaPath = caFile },
            http => http with { Urls = ["http://127.0.0.1:0", "https://127.0.0.1:0"], Certificate = new HttpsCertificateOptions(pfx, "pw"), AllowClientCertificates = true });
        await secure.Host.SeeDeviceAsync(Mac);
        await secure.Host.PutXmlAsync("/api/settings/general", "<settings><who>{mac}</who></settings>");
        return secure;
    }

    private static async Task<HttpStatusCode> DownloadAsync(SecureHost secure, X509Certificate2? clientCertificate)
    {
        var https = new Uri(secure.Host.Addresses.First(a => a.StartsWith("https://", StringComparison.Ordinal)));
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
            ClientCertificateOptions = ClientCertificateOption.Manual,
        };
        if (clientCertificate is not null) handler.ClientCertificates.Add(clientCertificate);
        using var client = new HttpClient(handler) { BaseAddress = https };
        var response = await client.GetAsync($"/settings/{Mac}.xml");
        if (response.StatusCode == HttpStatusCode.OK) Assert.Equal($"<settings><who>{Mac}</who></settings>", await response.Content.ReadAsStringAsync());
        return response.StatusCode;
    }

    [Fact]
    public async Task A_factory_certificate_naming_the_MAC_gets_the_settings_and_anything_else_gets_404()
    {
        await using var secure = await StartAsync();
        using var bySubject = Issue(_ca, "CN=snom-00:04:13:AA:BB:CC, O=snom technology");
        using var bySan = Issue(_ca, "CN=phone", sanDns: "000413AABBCC.phones.example");
        using var otherPhone = Issue(_ca, "CN=000413000001");
        using var untrusted = Issue(_otherCa, "CN=000413aabbcc");

        Assert.Equal(HttpStatusCode.OK, await DownloadAsync(secure, bySubject));
        Assert.Equal(HttpStatusCode.OK, await DownloadAsync(secure, bySan));
        Assert.Equal(HttpStatusCode.NotFound, await DownloadAsync(secure, null));
        Assert.Equal(HttpStatusCode.NotFound, await DownloadAsync(secure, otherPhone));
        Assert.Equal(HttpStatusCode.NotFound, await DownloadAsync(secure, untrusted));
        // Plain HTTP never satisfies the certificate policy.
        Assert.Equal(HttpStatusCode.NotFound, (await secure.Anonymous.GetAsync($"/settings/{Mac}.xml")).StatusCode);

        var counters = (SecurityCounters)secure.Host.Services.GetService(typeof(SecurityCounters))!;
        Assert.Equal(1, counters.DownloadRefusals[("certificate", "missing")]);
        Assert.Equal(1, counters.DownloadRefusals[("certificate", "wrongdevice")]);
        Assert.Equal(1, counters.DownloadRefusals[("certificate", "untrusted")]);
        Assert.Equal(1, counters.DownloadRefusals[("certificate", "not-https")]);
    }

    [Fact]
    public void The_policy_refuses_to_start_without_a_CA_bundle()
    {
        var options = new SecurityOptions
        {
            DataDirectory = _dir,
            DownloadProtection = new DownloadProtectionPolicy { Default = DownloadProtectionMode.ClientCertificate },
        };
        Assert.True(options.NeedsClientCertificates);
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("ClientCertificateCa", error.Message);
    }
}
