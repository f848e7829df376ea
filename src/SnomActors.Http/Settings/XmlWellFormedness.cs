using System.Xml;

namespace SnomActors.Http.Settings;

/// <summary>One problem in an uploaded document, where an editor would show it (1-based).</summary>
public sealed record XmlProblem(int Line, int Column, string Message);

/// <summary>
/// Checks that an uploaded settings document is well-formed XML before it is stored.
/// DTDs are refused and no resolver is set: an uploaded file must never make the daemon read
/// a local file or fetch a URL (XXE) or expand entities without bound.
/// </summary>
public static class XmlWellFormedness
{
    /// <summary>Returns the problems found (empty when the document is well-formed). XmlReader stops at the first error.</summary>
    public static IReadOnlyList<XmlProblem> Check(string document)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (string.IsNullOrWhiteSpace(document))
            return [new XmlProblem(1, 1, "The document is empty.")];

        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            CheckCharacters = true,
            ConformanceLevel = ConformanceLevel.Document,
            MaxCharactersFromEntities = 1024,
            IgnoreWhitespace = true,
        };
        try
        {
            using var reader = XmlReader.Create(new StringReader(document), settings);
            while (reader.Read()) { }
            return [];
        }
        catch (XmlException e)
        {
            return [new XmlProblem(Math.Max(e.LineNumber, 1), Math.Max(e.LinePosition, 1), StripPosition(e.Message))];
        }
    }

    // XmlException appends "Line n, position m." to its message; the position travels separately.
    private static string StripPosition(string message)
    {
        var i = message.LastIndexOf(" Line ", StringComparison.Ordinal);
        return i > 0 ? message[..i].TrimEnd() : message;
    }
}
