using Microsoft.Extensions.Configuration;
using SnomActors.Http.Security;
using SnomActors.Server.Provisioning;

namespace SnomActors.Http.Tests.Security;

/// <summary>The configuration keys of issue 5's protections.</summary>
public sealed class SecurityOptionsTests
{
    private static SecurityOptions Read(params (string Key, string Value)[] entries) =>
        SecurityOptions.FromConfiguration(
            new ConfigurationBuilder().AddInMemoryCollection(entries.Select(e => new KeyValuePair<string, string?>(e.Key, e.Value))).Build(), "/tmp/x");

    [Fact]
    public void Defaults_are_admin_auth_on_downloads_open_and_metrics_open()
    {
        var options = Read();
        Assert.True(options.AdminAuth);
        Assert.False(options.MetricsAuth);
        Assert.Equal(DownloadProtectionMode.None, options.DownloadProtection.ModeFor("snom"));
        Assert.False(options.NeedsClientCertificates);
    }

    [Fact]
    public void Each_protection_is_one_setting_and_vendors_override_the_default()
    {
        var options = Read(
            ("SnomActors:Http:AdminAuth", "false"),
            ("SnomActors:Http:MetricsAuth", "true"),
            ("SnomActors:Http:DownloadProtection:Default", "token"),
            ("SnomActors:Http:DownloadProtection:Vendors:Grandstream", "Digest"),
            ("SnomActors:Http:DownloadProtection:DigestPasswordVariable", "provisioning_password"));
        Assert.False(options.AdminAuth);
        Assert.True(options.MetricsAuth);
        Assert.Equal(DownloadProtectionMode.Token, options.DownloadProtection.ModeFor("snom"));
        Assert.Equal(DownloadProtectionMode.Digest, options.DownloadProtection.ModeFor("grandstream"));
        Assert.Equal("provisioning_password", options.DigestPasswordVariable);
    }

    [Theory]
    [InlineData("SnomActors:Http:DownloadProtection:Default", "Password")]
    [InlineData("SnomActors:Http:AdminAuth", "maybe")]
    [InlineData("SnomActors:Http:DownloadProtection:Default", "ClientCertificate")]
    public void A_bad_or_incomplete_setting_is_refused_with_its_name(string key, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => Read((key, value)));
        Assert.Contains(key.Split(':')[^1] == "Default" && value == "ClientCertificate" ? "ClientCertificateCa" : key.Split(':')[^1], error.Message);
    }
}
