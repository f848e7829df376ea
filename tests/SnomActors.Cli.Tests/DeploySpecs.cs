using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using SnomActors.Cli.Tests.Support;
using Xunit.Abstractions;

namespace SnomActors.Cli.Tests;

/// <summary>
/// deploy/install.sh into a temporary root, and the installed unit checked by systemd-analyze.
/// The install uses the CLI's existing build output (<c>--published</c>) so the test takes seconds;
/// the full <c>dotnet publish</c> path runs when SNOMACTORS_SLOW_TESTS=1.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DeploySpecs(ITestOutputHelper log) : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("snomactors-root-");

    private static string InstallScript => Path.Combine(Repo.Root, "deploy", "install.sh");

    private static string Published => Path.GetDirectoryName(Repo.CliDll)!;

    private string InRoot(string path) => Path.Combine(_root.FullName, path.TrimStart('/'));

    private (int Exit, string Output) Install(params string[] extra)
    {
        var args = new List<string> { InstallScript, "--root", _root.FullName, "--no-systemctl" };
        args.AddRange(extra);
        return Run("sh", args, TimeSpan.FromMinutes(10));
    }

    private (int Exit, string Output) Run(string file, IEnumerable<string> args, TimeSpan? timeout = null, IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(timeout ?? TimeSpan.FromMinutes(1)), $"{file} did not finish");
        var output = stdout.Result + stderr.Result;
        log.WriteLine($"$ {file} {string.Join(' ', psi.ArgumentList)}  -> exit {p.ExitCode}\n{output}");
        return (p.ExitCode, output);
    }

    [Fact]
    public void Install_sh_puts_the_daemon_the_wrapper_the_unit_the_user_and_the_configuration_into_a_temporary_root()
    {
        Assert.True(File.Exists(Repo.CliDll), $"the CLI is not built at {Repo.CliDll}");
        var (exit, output) = Install("--published", Published);
        Assert.True(exit == 0, output);

        Assert.True(File.Exists(InRoot("/usr/lib/snomactors/snomactors.dll")));
        Assert.True(File.Exists(InRoot("/usr/lib/snomactors/hocon/akka.conf")), "the daemon's HOCON ships with it");
        var wrapper = File.ReadAllText(InRoot("/usr/bin/snomactors"));
        Assert.StartsWith("#!/bin/sh", wrapper);
        Assert.Matches(new Regex(@"^exec /usr/lib/snomactors/snomactors(\.dll)? ""\$@""$|^exec .*dotnet.* /usr/lib/snomactors/snomactors\.dll ""\$@""$", RegexOptions.Multiline), wrapper);
        Assert.True((File.GetUnixFileMode(InRoot("/usr/bin/snomactors")) & UnixFileMode.UserExecute) != 0, "wrapper is executable");

        var unit = File.ReadAllText(InRoot("/etc/systemd/system/snomactors.service"));
        Assert.Contains("Type=notify", unit);
        Assert.Contains("ExecStart=/usr/bin/snomactors run --data /var/lib/snomactors", unit);
        Assert.Contains("StateDirectory=snomactors", unit);
        Assert.Contains("User=snomactors", unit);
        Assert.DoesNotMatch(new Regex("^MemoryDenyWriteExecute=", RegexOptions.Multiline), unit);

        Assert.Contains("\"UrlTemplate\"", File.ReadAllText(InRoot("/etc/snomactors/snomactors.json")));
        Assert.True(File.Exists(InRoot("/etc/default/snomactors")));
        Assert.Contains("u snomactors ", File.ReadAllText(InRoot("/usr/lib/sysusers.d/snomactors.conf")));
        if (RequiresToolFactAttribute.OnPath("systemd-sysusers"))
            Assert.Matches(new Regex("^snomactors:x:[0-9]+:[0-9]+:.*:/var/lib/snomactors:/usr/sbin/nologin$", RegexOptions.Multiline),
                File.ReadAllText(InRoot("/etc/passwd")));

        // The staged daemon runs: its apphost (what the wrapper execs) answers --help with the run command.
        var apphost = InRoot("/usr/lib/snomactors/snomactors");
        var (helpExit, help) = File.Exists(apphost)
            ? Run(apphost, ["--help"], environment: DotnetRootEnvironment())
            : Run(Repo.DotnetHost, [InRoot("/usr/lib/snomactors/snomactors.dll"), "--help"]);
        Assert.True(helpExit == 0, help);
        Assert.Contains("run", help);
    }

    [Fact]
    public void Every_relative_link_of_the_installed_docs_resolves_in_the_installed_tree()
    {
        Assert.True(Install("--published", Published).Exit == 0);
        var docs = InRoot("/usr/share/doc/snomactors");

        var links = Directory.GetFiles(docs, "*.md", SearchOption.AllDirectories)
            .SelectMany(md => Regex.Matches(File.ReadAllText(md), @"\]\((?<target>[^)\s#]+)(#[^)\s]*)?\)")
                .Select(m => (Doc: md, Target: m.Groups["target"].Value)))
            .Where(l => !l.Target.Contains("://", StringComparison.Ordinal) && !l.Target.StartsWith("mailto:", StringComparison.Ordinal))
            .ToList();

        // The guide links to the deploy/ notes (journald, cluster): those must be there too.
        Assert.Contains(links, l => l.Target.StartsWith("deploy/", StringComparison.Ordinal));
        Assert.All(links, l =>
        {
            var resolved = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(l.Doc)!, l.Target));
            Assert.True(resolved.StartsWith(docs, StringComparison.Ordinal) && (File.Exists(resolved) || Directory.Exists(resolved)),
                $"{Path.GetRelativePath(docs, l.Doc)} links to {l.Target}, which is not installed");
        });
    }

    [Fact]
    public void Every_image_the_installed_docs_show_is_installed_beside_them()
    {
        Assert.True(Install("--published", Published).Exit == 0);
        var docs = InRoot("/usr/share/doc/snomactors");

        var images = Directory.GetFiles(docs, "*.md")
            .SelectMany(md => Regex.Matches(File.ReadAllText(md), @"!\[[^\]]*\]\((?<target>[^)\s]+)\)").Select(m => (Doc: Path.GetFileName(md), Target: m.Groups["target"].Value)))
            .ToList();

        Assert.Contains(images, i => i.Doc == "operator-guide.md");
        Assert.All(images, i => Assert.True(File.Exists(Path.Combine(docs, i.Target)), $"{i.Doc} shows {i.Target}, not installed"));
        Assert.Equal(
            Directory.GetFiles(Path.Combine(Repo.Root, "docs", "screenshots"), "*.png").Select(Path.GetFileName).Order(),
            Directory.GetFiles(Path.Combine(docs, "screenshots"), "*.png").Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Reinstalling_upgrades_the_program_but_keeps_the_operators_configuration()
    {
        Assert.True(Install("--published", Published).Exit == 0);
        File.WriteAllText(InRoot("/etc/snomactors/snomactors.json"), """{ "SnomActors": { "Sip": { "Port": 5070 } } }""");
        File.WriteAllText(InRoot("/etc/default/snomactors"), "SNOMACTORS_OPTS=\"--multicast-interface eth1\"\n");
        File.Delete(InRoot("/usr/lib/snomactors/snomactors.dll"));

        var (exit, output) = Install("--published", Published);

        Assert.True(exit == 0, output);
        Assert.True(File.Exists(InRoot("/usr/lib/snomactors/snomactors.dll")));
        Assert.Contains("5070", File.ReadAllText(InRoot("/etc/snomactors/snomactors.json")));
        Assert.Contains("eth1", File.ReadAllText(InRoot("/etc/default/snomactors")));
    }

    [Fact]
    public void Install_sh_refuses_unknown_options_and_a_publish_directory_without_the_daemon()
    {
        var (exit, output) = Install("--frobnicate");
        Assert.NotEqual(0, exit);
        Assert.Contains("unknown option '--frobnicate'", output);

        var empty = Directory.CreateDirectory(InRoot("/empty-publish"));
        (exit, output) = Install("--published", empty.FullName);
        Assert.NotEqual(0, exit);
        Assert.Contains("has no snomactors.dll", output);
    }

    [RequiresToolFact("systemd-analyze", "systemd")]
    public void The_installed_unit_passes_systemd_analyze_verify_and_its_exposure_stays_low()
    {
        Assert.True(Install("--published", Published).Exit == 0);
        StageSystemdUnits();

        var (exit, output) = Run("systemd-analyze", ["verify", $"--root={_root.FullName}", "/etc/systemd/system/snomactors.service"]);
        // verify exits 0 on warnings such as an unknown key; any message at all is a failure here.
        Assert.True(exit == 0 && output.Trim().Length == 0, $"systemd-analyze verify (exit {exit}):\n{output}");

        var (_, security) = Run("systemd-analyze", ["security", "--offline=true", $"--root={_root.FullName}", "--no-pager", "/etc/systemd/system/snomactors.service"]);
        var match = Regex.Match(security, @"Overall exposure level for snomactors\.service: ([0-9.]+)");
        Assert.True(match.Success, security);
        var exposure = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(exposure <= 2.5, $"exposure {exposure} (was 1.7 when the unit was written):\n{security}");
    }

    [Fact]
    public void The_per_VLAN_template_is_installed_with_an_example_environment_and_the_same_hardening_as_the_single_unit()
    {
        Assert.True(Install("--published", Published, "--prefix", "/opt/snomactors").Exit == 0);
        var single = File.ReadAllText(InRoot("/etc/systemd/system/snomactors.service"));
        var template = File.ReadAllText(InRoot("/etc/systemd/system/snomactors@.service"));

        Assert.Contains("ExecStart=/opt/snomactors/bin/snomactors run --data /var/lib/snomactors/%i ", template);
        Assert.Matches(new Regex("^StateDirectory=snomactors/%i$", RegexOptions.Multiline), template);
        Assert.Matches(new Regex("^EnvironmentFile=/etc/snomactors/%i\\.env$", RegexOptions.Multiline), template);
        Assert.Matches(new Regex("^Conflicts=snomactors\\.service$", RegexOptions.Multiline), template);
        // The example pins an instance to its VLAN: address and interface both.
        var example = File.ReadAllText(InRoot("/etc/snomactors/vlan.env.example"));
        Assert.Matches(new Regex("^SNOMACTORS_OPTS=\".*--sip-address \\S+.*--multicast-interface \\S+.*\"$", RegexOptions.Multiline), example);

        static string Hardening(string unit) => unit[unit.IndexOf("# --- Hardening", StringComparison.Ordinal)..unit.IndexOf("[Install]", StringComparison.Ordinal)];
        Assert.Equal(Hardening(single), Hardening(template));
    }

    [RequiresToolFact("systemd-analyze", "systemd")]
    public void An_instance_of_the_per_VLAN_template_passes_systemd_analyze_verify()
    {
        Assert.True(Install("--published", Published).Exit == 0);
        StageSystemdUnits();
        File.Copy(InRoot("/etc/snomactors/vlan.env.example"), InRoot("/etc/snomactors/vlan10.env"));

        var (exit, output) = Run("systemd-analyze", ["verify", $"--root={_root.FullName}", "/etc/systemd/system/snomactors@vlan10.service"]);
        Assert.True(exit == 0 && output.Trim().Length == 0, $"systemd-analyze verify (exit {exit}):\n{output}");
    }

    [RequiresToolFact("systemd-analyze", "systemd")]
    public void Verify_catches_a_unit_whose_ExecStart_is_missing()
    {
        // Proves the check above can fail: the same unit without the wrapper in the root.
        Assert.True(Install("--published", Published).Exit == 0);
        StageSystemdUnits();
        File.Delete(InRoot("/usr/bin/snomactors"));
        var (exit, output) = Run("systemd-analyze", ["verify", $"--root={_root.FullName}", "/etc/systemd/system/snomactors.service"]);
        Assert.NotEqual(0, exit);
        Assert.Contains("/usr/bin/snomactors", output);
    }

    [SlowFact]
    public void The_full_install_publishes_the_daemon_with_dotnet_publish()
    {
        var (exit, output) = Install();
        Assert.True(exit == 0, output);
        Assert.True(File.Exists(InRoot("/usr/lib/snomactors/snomactors.dll")));
    }

    /// <summary>
    /// systemd-analyze --root resolves the unit's dependencies (sysinit.target, network-online.target …)
    /// inside the root: give it the host's unit files, as an installed system would have.
    /// </summary>
    private void StageSystemdUnits()
    {
        var hostUnits = new[] { "/usr/lib/systemd/system", "/lib/systemd/system" }.First(Directory.Exists);
        var target = Directory.CreateDirectory(InRoot("/usr/lib/systemd/system"));
        foreach (var file in Directory.EnumerateFiles(hostUnits))
        {
            var destination = Path.Combine(target.FullName, Path.GetFileName(file));
            if (!File.Exists(destination)) File.Copy(file, destination);
        }
        foreach (var dir in Directory.EnumerateDirectories(hostUnits))
        {
            var sub = Directory.CreateDirectory(Path.Combine(target.FullName, Path.GetFileName(dir)));
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
            {
                var destination = Path.Combine(sub.FullName, Path.GetFileName(entry));
                if (File.Exists(destination) || Directory.Exists(destination)) continue;
                var info = new FileInfo(entry);
                if (info.LinkTarget is { } link) File.CreateSymbolicLink(destination, link);
                else if (File.Exists(entry)) File.Copy(entry, destination);
            }
        }
    }

    private static Dictionary<string, string> DotnetRootEnvironment()
    {
        var host = Repo.DotnetHost;
        var resolved = File.Exists(host) ? new FileInfo(host).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? host : host;
        return Path.IsPathRooted(resolved) ? new() { ["DOTNET_ROOT"] = Path.GetDirectoryName(resolved)! } : new();
    }

    public void Dispose()
    {
        try { _root.Delete(recursive: true); }
        catch (IOException) { /* a leftover temp dir is harmless */ }
    }
}
