using System.Security.Cryptography.X509Certificates;

namespace SnomActors.Http.Security;

/// <summary>Result of checking a phone's TLS client certificate.</summary>
public enum ClientCertificateOutcome
{
    /// <summary>Trusted and names the MAC.</summary>
    Ok,
    /// <summary>The request did not come over HTTPS.</summary>
    NotHttps,
    /// <summary>No certificate was presented.</summary>
    Missing,
    /// <summary>The chain does not end in a configured CA (or is expired).</summary>
    Untrusted,
    /// <summary>Trusted, but for another device.</summary>
    WrongDevice,
}

/// <summary>
/// Checks a TLS client certificate for a settings download: its chain must end in one of the
/// configured CA certificates (the vendors' factory CAs: snom, Yealink and Polycom phones carry
/// certificates issued by them), and its subject or subject alternative names must contain the MAC
/// of the URL (any of <c>000413aabbcc</c>, <c>00:04:13:AA:BB:CC</c>, <c>00-04-13-aa-bb-cc</c>).
/// Revocation is not checked (factory CAs publish no CRLs phones could be checked against offline).
/// </summary>
public sealed class ClientCertificateCheck
{
    private readonly X509Certificate2Collection _roots;

    /// <summary>Trusts the certificates in <paramref name="caBundle"/>.</summary>
    public ClientCertificateCheck(X509Certificate2Collection caBundle)
    {
        ArgumentNullException.ThrowIfNull(caBundle);
        if (caBundle.Count == 0) throw new ArgumentException("The client CA bundle holds no certificate.", nameof(caBundle));
        _roots = caBundle;
    }

    /// <summary>Loads a PEM bundle (one or more CERTIFICATE blocks) or a single DER certificate.</summary>
    public static ClientCertificateCheck FromFile(string path)
    {
        var bundle = new X509Certificate2Collection();
        var text = File.ReadAllText(path);
        if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)) bundle.ImportFromPem(text);
        else bundle.Add(X509CertificateLoader.LoadCertificateFromFile(path));
        return new ClientCertificateCheck(bundle);
    }

    /// <summary>Checks <paramref name="certificate"/> for the phone <paramref name="mac"/> (12 lower hex).</summary>
    public ClientCertificateOutcome Check(X509Certificate2? certificate, string mac, DateTimeOffset now)
    {
        if (certificate is null) return ClientCertificateOutcome.Missing;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_roots);
        // Intermediates may sit in the bundle too.
        chain.ChainPolicy.ExtraStore.AddRange(_roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (!chain.Build(certificate)) return ClientCertificateOutcome.Untrusted;
        return NamesMac(certificate, mac) ? ClientCertificateOutcome.Ok : ClientCertificateOutcome.WrongDevice;
    }

    /// <summary>True when the subject or a SAN of <paramref name="certificate"/> contains <paramref name="mac"/>.</summary>
    public static bool NamesMac(X509Certificate2 certificate, string mac)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var names = new List<string> { certificate.SubjectName.Name };
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
                names.Add(san.Format(multiLine: false));
            }
        }
        foreach (var name in names)
        {
            // Runs of hex digits and MAC separators; "snom-000413AABBCC" yields "-000413AABBCC".
            foreach (var run in SplitRuns(name))
            {
                var compact = run.Replace(":", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).Replace(".", "", StringComparison.Ordinal);
                if (compact.Contains(mac, StringComparison.OrdinalIgnoreCase)) return true;
            }
        }
        return false;
    }

    private static IEnumerable<string> SplitRuns(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inRun = i < text.Length && (Uri.IsHexDigit(text[i]) || text[i] is ':' or '-' or '.');
            if (inRun && start < 0) start = i;
            else if (!inRun && start >= 0)
            {
                yield return text[start..i];
                start = -1;
            }
        }
    }
}
