using SnomActors.Http.Settings;

namespace SnomActors.Http.Tests.Settings;

public sealed class XmlWellFormednessTests
{
    [Fact]
    public void Accepts_a_well_formed_document()
    {
        Assert.Empty(XmlWellFormedness.Check("<?xml version=\"1.0\"?>\n<settings><phone-settings><user_name idx=\"1\">{extension}</user_name></phone-settings></settings>"));
    }

    [Fact]
    public void Reports_line_and_column_of_a_mismatched_tag()
    {
        var problems = XmlWellFormedness.Check("<settings>\n  <a>\n  </b>\n</settings>");
        var p = Assert.Single(problems);
        Assert.Equal(3, p.Line);
        Assert.Equal(5, p.Column);
        Assert.Contains("b", p.Message);
        Assert.DoesNotContain("Line 3", p.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("<a>")]
    [InlineData("<a></a><b></b>")]
    [InlineData("<a>&nbsp;</a>")]
    public void Rejects_broken_documents(string document)
    {
        Assert.NotEmpty(XmlWellFormedness.Check(document));
    }

    [Fact]
    public void Refuses_a_dtd_so_external_entities_are_never_resolved()
    {
        var path = Path.Combine(Path.GetTempPath(), $"xxe-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, "secret");
        try
        {
            var problems = XmlWellFormedness.Check($"<!DOCTYPE a [<!ENTITY x SYSTEM \"file://{path}\">]><a>&x;</a>");
            var p = Assert.Single(problems);
            Assert.Contains("DTD", p.Message);
            Assert.Equal(1, p.Line);
        }
        finally { File.Delete(path); }
    }
}
