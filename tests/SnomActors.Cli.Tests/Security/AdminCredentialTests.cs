using SnomActors.Cli.Api;

namespace SnomActors.Cli.Tests.Security;

/// <summary>Issue 5 item 4: the CLI on the daemon's machine finds the admin token through --data.</summary>
public sealed class AdminCredentialTests : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("snomactors-cli-data-");

    public void Dispose() => _data.Delete(recursive: true);

    [Fact]
    public void The_token_the_daemon_wrote_under_the_data_directory_becomes_a_Bearer_credential()
    {
        File.WriteAllText(Path.Combine(_data.FullName, AdminCredential.TokenFileName), "Zm9vYmFyLXRva2VuLW9mLWZvcnR5LXRocmVlLWNoYXJz\n");

        var credential = AdminCredential.TryLoad(_data.FullName);

        Assert.NotNull(credential);
        Assert.Equal("Bearer", credential.Scheme);
        Assert.Equal("Zm9vYmFyLXRva2VuLW9mLWZvcnR5LXRocmVlLWNoYXJz", credential.Parameter);
        Assert.Equal("Bearer ***", credential.ToString());
        Assert.Equal("Bearer Zm9vYmFyLXRva2VuLW9mLWZvcnR5LXRocmVlLWNoYXJz", credential.ToHeader().ToString());
    }

    [Fact]
    public void An_explicit_token_wins_over_the_file_and_a_missing_file_gives_no_credential()
    {
        File.WriteAllText(Path.Combine(_data.FullName, AdminCredential.TokenFileName), "from-file");
        Assert.Equal("from-option", AdminCredential.Resolve("from-option", _data.FullName)!.Parameter);
        Assert.Null(AdminCredential.TryLoad(Path.Combine(_data.FullName, "nowhere")));
        Assert.Null(AdminCredential.TryLoad(null));
    }

    [Fact]
    public void The_token_comes_from_the_option_then_the_environment_then_the_file_under_data()
    {
        File.WriteAllText(Path.Combine(_data.FullName, AdminCredential.TokenFileName), "from-file\n");
        Func<string, string?> environment = name => name == AdminCredential.TokenVariable ? " from-environment " : null;
        Func<string, string?> empty = _ => null;

        Assert.Equal("from-option", AdminCredential.Resolve("from-option", _data.FullName, environment)!.Parameter);
        Assert.Equal("from-environment", AdminCredential.Resolve(null, _data.FullName, environment)!.Parameter);
        Assert.Equal("from-environment", AdminCredential.Resolve("  ", _data.FullName, environment)!.Parameter);
        Assert.Equal("from-file", AdminCredential.Resolve(null, _data.FullName, empty)!.Parameter);
        Assert.Null(AdminCredential.Resolve(null, Path.Combine(_data.FullName, "nowhere"), empty));
    }
}
