namespace SnomActors.Cli.Api;

/// <summary>
/// A call to the daemon that did not succeed: the daemon was unreachable, or it answered with an error
/// (its RFC 9457 problem details, when it sent some, in <see cref="Title"/> and <see cref="Detail"/>).
/// </summary>
public sealed class DaemonApiException : Exception
{
    /// <summary>An error the daemon answered with.</summary>
    public DaemonApiException(int status, string title, string? detail, Exception? inner = null)
        : base(detail is null ? title : $"{title}: {detail}", inner)
    {
        Status = status;
        Title = title;
        Detail = detail;
    }

    /// <summary>The daemon could not be reached (or did not answer in time), or the request was never sent because the command line was wrong.</summary>
    public DaemonApiException(string title, string detail, Exception? inner, bool usage = false)
        : base($"{title}: {detail}", inner)
    {
        Title = title;
        Detail = detail;
        Unreachable = !usage;
        Usage = usage;
    }

    /// <summary>HTTP status of the answer; null when there was none.</summary>
    public int? Status { get; }

    /// <summary>The problem's title (or the status's reason phrase).</summary>
    public string Title { get; }

    /// <summary>The problem's detail, if any.</summary>
    public string? Detail { get; }

    /// <summary>True when no HTTP answer arrived at all.</summary>
    public bool Unreachable { get; }

    /// <summary>True when the command line itself was wrong (e.g. a malformed <c>--server</c>).</summary>
    public bool Usage { get; }
}
