using System.CommandLine;
using SnomActors.Cli.Daemon;

namespace SnomActors.Cli.Commands;

/// <summary>
/// <c>snomactors run [--config FILE] [--sip-address ADDR] [--sip-port N] [--multicast-interface NAME_OR_ADDR]…
/// [--no-multicast] [--http-url URL] [--http-cert FILE [--http-cert-key FILE]] [--provisioning-url TEMPLATE] [--data DIR]</c>
/// — a public interface: keep it.
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "Extra settings file: JSON (appsettings format) or HOCON (.conf) for Akka." };
        var sipAddress = new Option<string?>("--sip-address") { Description = "IPv4 address to listen on for SIP (default: all IPv4 addresses)." };
        var sipPort = new Option<int?>("--sip-port") { Description = "UDP port for SIP (default 5060)." };
        var multicastInterface = new Option<string[]>("--multicast-interface")
        {
            Description = "Join 224.0.1.75 on this interface (name or IPv4 address); repeatable. Default: every up, multicast-capable IPv4 interface.",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var noMulticast = new Option<bool>("--no-multicast") { Description = "Do not join the PnP multicast group (unicast SUBSCRIBEs only)." };
        var httpUrl = new Option<string[]>("--http-url")
        {
            Description = "Where the HTTP side listens (default http://0.0.0.0:8080); repeatable. {server}/{port} in URL templates resolve against the first.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var httpCert = new Option<FileInfo?>("--http-cert")
        {
            Description = "Certificate for the https:// --http-url addresses: PKCS#12 (.pfx/.p12) or PEM (with its key inside or in --http-cert-key). A password goes in Http:CertificatePassword (environment SnomActors__Http__CertificatePassword), not on the command line.",
            HelpName = "FILE",
        };
        var httpCertKey = new Option<FileInfo?>("--http-cert-key")
        {
            Description = "PEM private key of --http-cert, when it is not in the certificate file.",
            HelpName = "FILE",
        };
        var provisioningUrl = new Option<string?>("--provisioning-url") { Description = "Provisioning URL template, e.g. http://{server}:{port}/settings/{mac}.xml." };
        var data = new Option<string?>("--data") { Description = "State directory (registry database, admin credential). Default ./data." };
        var admission = new Option<string?>("--admission")
        {
            Description = "Which phones are provisioned: open (every phone that asks; default), allowlist (only Provisioning:Allow), enrolment (unknown phones only while an enrolment window is open, otherwise quarantined until approved).",
        };
        admission.AcceptOnlyFromAmong("open", "allowlist", "enrolment");
        var enrolmentMinutes = new Option<int?>("--enrolment-minutes") { Description = "With --admission enrolment: keep the enrolment window open this many minutes after start." };

        var command = new Command("run", "Run the PnP provisioning daemon in the foreground (Ctrl-C / SIGTERM stop it cleanly).")
        {
            config, sipAddress, sipPort, multicastInterface, noMulticast, httpUrl, httpCert, httpCertKey, provisioningUrl, data, admission, enrolmentMinutes,
        };
        command.SetAction(async (result, cancellation) =>
        {
            var overrides = new Dictionary<string, string?>();
            if (result.GetValue(sipAddress) is { } address) overrides["SnomActors:Sip:Address"] = address;
            if (result.GetValue(sipPort) is { } port) overrides["SnomActors:Sip:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var interfaces = result.GetValue(multicastInterface) ?? [];
            if (result.GetValue(noMulticast)) overrides["SnomActors:Sip:Multicast"] = "false";
            var urls = result.GetValue(httpUrl) ?? [];
            if (urls.Length > 0) overrides["SnomActors:Http:Urls"] = string.Join(';', urls);
            if (result.GetValue(httpCert) is { } cert) overrides["SnomActors:Http:CertificatePath"] = cert.FullName;
            if (result.GetValue(httpCertKey) is { } key) overrides["SnomActors:Http:CertificateKeyPath"] = key.FullName;
            if (result.GetValue(provisioningUrl) is { } template) overrides["SnomActors:Provisioning:UrlTemplate"] = template;
            if (result.GetValue(data) is { } dir) overrides["SnomActors:DataDirectory"] = dir;
            if (result.GetValue(admission) is { } mode)
                overrides["SnomActors:Provisioning:UnknownDevices"] = mode switch { "allowlist" => "AllowListOnly", "enrolment" => "Enrolment", _ => "ProvisionAll" };
            if (result.GetValue(enrolmentMinutes) is { } minutes)
                overrides["SnomActors:Provisioning:EnrolmentMinutes"] = minutes.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return await DaemonHost.RunAsync(result.GetValue(config), overrides, interfaces.Length > 0 ? interfaces : null, cancellation);
        });
        return command;
    }
}
