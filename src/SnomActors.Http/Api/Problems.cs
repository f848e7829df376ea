using Microsoft.AspNetCore.Http;

namespace SnomActors.Http.Api;

/// <summary>RFC 9457 problem responses used across the HTTP side, so titles and shapes stay uniform.</summary>
public static class Problems
{
    /// <summary>400 with a detail.</summary>
    public static IResult BadRequest(string detail, IDictionary<string, object?>? extensions = null) =>
        Results.Problem(detail: detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request", extensions: extensions);

    /// <summary>400 for anything in a URL that is not a MAC address.</summary>
    public static IResult BadMac(string? raw) =>
        BadRequest($"'{Printable(raw)}' is not a MAC address: expected 12 hex digits, optionally separated by ':', '-' or '.'.");

    /// <summary>404 with a detail.</summary>
    public static IResult NotFound(string detail) =>
        Results.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    /// <summary>409 with a detail.</summary>
    public static IResult Conflict(string detail) =>
        Results.Problem(detail: detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    /// <summary>413 with a detail.</summary>
    public static IResult TooLarge(long limit) =>
        Results.Problem(detail: $"The body is larger than {limit} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large");

    /// <summary>415 with a detail.</summary>
    public static IResult UnsupportedMediaType(string expected) =>
        Results.Problem(detail: $"Expected {expected}.", statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type");

    /// <summary>503 for shed load.</summary>
    public static IResult Overloaded(string detail) =>
        Results.Problem(detail: detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable");

    /// <summary>
    /// Echoes request input safely into a detail: at most 64 printable ASCII characters, so a
    /// hostile URL cannot inject control characters into a response or a log line.
    /// </summary>
    public static string Printable(string? raw)
    {
        if (raw is null) return string.Empty;
        var span = raw.AsSpan(0, Math.Min(raw.Length, 64));
        return string.Create(span.Length, raw, (dest, src) =>
        {
            for (var i = 0; i < dest.Length; i++) dest[i] = src[i] is >= ' ' and <= '~' ? src[i] : '?';
        }) + (raw.Length > 64 ? "…" : string.Empty);
    }
}
