using SnomActors.Sip.Building;
using SnomActors.Sip.Headers;
using SnomActors.Sip.Messages;
using SnomActors.Sip.Parsing;

namespace SnomActors.Sip.Tests.Corpus;

/// <summary>
/// Each RFC 4475 manifest row asserts its outcome at the parser: a parse error with the manifest's
/// status code (400/505), or a parse that succeeds where the UAS decides (200/405/416/420/501),
/// or, for responses, either — as long as nothing would ever answer them.
/// </summary>
public sealed class Rfc4475ExpectationTests
{
    /// <summary>Status codes the UAS chooses after a successful parse; the parser only has to let these through.</summary>
    private static readonly string[] DecidedByTheUas = ["200", "405", "416", "420", "501"];

    public static TheoryData<string> Names() => new(Rfc4475Corpus.Load().Select(m => m.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void Each_torture_message_meets_its_manifest_expectation(string name)
    {
        var m = Rfc4475Corpus.Get(name);
        var ok = SipParser.TryParse(m.Bytes, out var message, out var error);

        if (m.Expected == "drop")
        {
            // Responses are never answered: a valid one must parse, an invalid one may fail, but
            // then the error must say it was a response so no 400 is built for it.
            if (m.Valid) Assert.True(ok, error?.ToString());
            if (ok) Assert.IsType<SipResponse>(message);
            else Assert.True(error!.IsResponse, error.ToString());
            if (!ok) Assert.Null(SipResponseBuilder.BuildForParseError(error!, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 5060), "t"));
        }
        else if (DecidedByTheUas.Contains(m.Expected))
        {
            Assert.True(ok, $"{name} must parse (UAS answers {m.Expected}) but got {error}");
            Assert.IsType<SipRequest>(message);
        }
        else
        {
            Assert.False(ok, $"{name} must be a parse error {m.Expected}");
            Assert.Equal(int.Parse(m.Expected, System.Globalization.CultureInfo.InvariantCulture), error!.StatusCode);
            Assert.False(error.IsResponse);
        }
    }

    [Theory]
    [InlineData("badinv01", SipParseErrorKind.InvalidHeaderValue)]
    [InlineData("clerr", SipParseErrorKind.BodyTruncated)]
    [InlineData("ncl", SipParseErrorKind.InvalidContentLength)]
    [InlineData("scalar02", SipParseErrorKind.InvalidHeaderValue)]
    [InlineData("quotbal", SipParseErrorKind.InvalidHeaderValue)]
    [InlineData("ltgtruri", SipParseErrorKind.InvalidRequestUri)]
    [InlineData("lwsruri", SipParseErrorKind.MalformedStartLine)]
    [InlineData("lwsstart", SipParseErrorKind.MalformedStartLine)]
    [InlineData("trws", SipParseErrorKind.MalformedStartLine)]
    [InlineData("escruri", SipParseErrorKind.InvalidRequestUri)]
    [InlineData("badaspec", SipParseErrorKind.InvalidHeaderValue)]
    [InlineData("baddn", SipParseErrorKind.InvalidHeaderValue)]
    [InlineData("badvers", SipParseErrorKind.UnsupportedVersion)]
    [InlineData("mismatch01", SipParseErrorKind.CSeqMethodMismatch)]
    [InlineData("multi01", SipParseErrorKind.DuplicateHeader)]
    [InlineData("mcl01", SipParseErrorKind.DuplicateHeader)]
    [InlineData("insuf", SipParseErrorKind.MissingHeader)]
    [InlineData("bigcode", SipParseErrorKind.InvalidStatusCode)]
    [InlineData("scalarlg", SipParseErrorKind.InvalidHeaderValue)]
    public void Invalid_torture_messages_fail_with_the_right_kind(string name, SipParseErrorKind kind)
    {
        Assert.False(SipParser.TryParse(Rfc4475Corpus.Get(name).Bytes, out _, out var error));
        Assert.Equal(kind, error!.Kind);
    }

    [Fact]
    public void Wsinv_parses_with_all_its_whitespace_folding_and_compact_forms_understood()
    {
        var r = Parse("wsinv");
        Assert.Equal("INVITE", r.Method);
        Assert.Equal(68, r.MaxForwards);
        Assert.Equal(new CSeqHeader(9, "INVITE"), r.CSeq);
        Assert.Equal(3, r.Vias.Count);
        Assert.Equal("192.0.2.2", r.Vias[0].Host);
        Assert.Equal("390skdjuw", r.Vias[0].Branch);
        Assert.Equal("TCP", r.Vias[1].Transport);
        Assert.Equal("spindle.example.com", r.Vias[1].Host);
        Assert.Equal("z9hG4bK9ikj8", r.Vias[1].Branch);
        Assert.Equal("z9hG4bK30239", r.Vias[2].Branch);
        Assert.Equal("1918181833n", r.To.Tag);
        Assert.Equal("sip:vivekg@chair-dnrc.example.com", r.To.Uri.Raw);
        Assert.Equal("98asjd8", r.From.Tag);
        Assert.Equal("J Rosenberg \\\"", r.From.DisplayName);
        Assert.Equal("Quoted string \"\"", r.Contact!.DisplayName);
        Assert.Equal("newvalue", r.Contact.Parameters["newparam"]);
        Assert.Equal("0.33", r.Contact.Parameters["q"]);
        Assert.Equal("newfangled value continued newfangled value", r.GetFirst("NewFangledHeader"));
        Assert.Equal("", r.GetFirst(HeaderNames.Subject));
        Assert.Equal(150, r.Body.Length);
    }

    [Fact]
    public void Esc01_keeps_escapes_in_the_raw_uris_and_decodes_only_on_request()
    {
        var r = Parse("esc01");
        Assert.Equal("sips%3Auser%40example.com", r.RequestUri.User);
        Assert.Equal("sips:user@example.com", r.RequestUri.UnescapedUser);
        Assert.Equal("example.net", r.RequestUri.Host);
        Assert.Equal("user", r.To.Uri.UnescapedUser);
        Assert.Equal("I have spaces", r.From.Uri.UnescapedUser);
        Assert.True(r.Contact!.Uri.Parameters.Contains("%6C%72"));
    }

    [Fact]
    public void Escnull_keeps_an_escaped_nul_inside_the_user_part()
    {
        var r = Parse("escnull");
        Assert.Contains('\0', r.To.Uri.UnescapedUser!);
    }

    [Fact]
    public void Intmeth_keeps_its_unknown_method_and_control_characters()
    {
        var r = Parse("intmeth");
        Assert.Equal("!interesting-Method0123456789_*+`.%indeed'~", r.Method);
        Assert.Equal(r.Method, r.CSeq.Method);
        Assert.False(SipMethods.IsKnown(r.Method));
        Assert.Contains('\u0007', r.To.DisplayName!);
    }

    [Fact]
    public void Esc02_is_an_unknown_method_not_register()
    {
        var r = Parse("esc02");
        Assert.Equal("RE%47IST%45R", r.Method);
        Assert.NotNull(r.GetFirst("C%6Fntact"));
        Assert.Equal(["sip:alias1@host1.example.com", "sip:alias3@host3.example.com"], r.Contacts.Select(c => c.Uri.Raw));
    }

    [Fact]
    public void Longreq_keeps_all_34_vias_and_its_long_values()
    {
        var r = Parse("longreq");
        Assert.Equal(34, r.Vias.Count);
        Assert.True(r.To.DisplayName!.Length > 100);
    }

    [Fact]
    public void Dblreq_answers_the_register_and_ignores_the_trailing_invite()
    {
        var r = Parse("dblreq");
        Assert.Equal("REGISTER", r.Method);
        Assert.True(r.Body.IsEmpty);
    }

    [Fact]
    public void Semiuri_keeps_the_semicolon_inside_the_user_part()
    {
        var r = Parse("semiuri");
        Assert.Equal("user;par=u%40example.net", r.RequestUri.User);
        Assert.Equal("example.com", r.RequestUri.Host);
        Assert.Equal(6, r.GetList(HeaderNames.Accept).Count);
    }

    [Fact]
    public void Transports_parses_unknown_transports_and_keeps_the_udp_via_on_top()
    {
        var r = Parse("transports");
        Assert.Equal(["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"], r.Vias.Select(v => v.Transport));
    }

    [Fact]
    public void Mpart01_frames_its_binary_multipart_body_by_octets()
    {
        var r = Parse("mpart01");
        Assert.Equal(553, r.Body.Length);
        Assert.Contains((byte)0, r.Body.ToArray());
    }

    [Fact]
    public void Lwsdisp_accepts_a_display_name_directly_followed_by_a_bracket()
    {
        Assert.Equal("caller", Parse("lwsdisp").From.DisplayName);
    }

    [Fact]
    public void Badbranch_parses_but_its_bare_cookie_is_not_an_rfc_3261_branch()
    {
        var r = Parse("badbranch");
        Assert.Equal("z9hG4bK", r.TopVia.Branch);
        Assert.False(r.TopVia.HasRfc3261Branch);
    }

    [Fact]
    public void Inv2543_without_branch_max_forwards_or_content_length_parses()
    {
        var r = Parse("inv2543");
        Assert.Null(r.TopVia.Branch);
        Assert.Null(r.MaxForwards);
        Assert.False(r.Body.IsEmpty);
    }

    [Fact]
    public void Unreason_and_noreason_parse_as_responses()
    {
        Assert.Equal(200, ParseResponse("unreason").StatusCode);
        Assert.Contains("простое", ParseResponse("unreason").ReasonPhrase, StringComparison.Ordinal);
        Assert.Equal("", ParseResponse("noreason").ReasonPhrase);
    }

    [Fact]
    public void Parse_errors_of_requests_still_expose_the_via_needed_to_answer_400()
    {
        foreach (var name in new[] { "badinv01", "clerr", "ncl", "scalar02", "quotbal", "mismatch01", "multi01", "mcl01", "insuf" })
        {
            Assert.False(SipParser.TryParse(Rfc4475Corpus.Get(name).Bytes, out _, out var error));
            Assert.Contains(error!.Headers, h => h.Name == HeaderNames.Via);
        }
    }

    private static SipRequest Parse(string name)
    {
        Assert.True(SipParser.TryParse(Rfc4475Corpus.Get(name).Bytes, out var message, out var error), error?.ToString());
        return Assert.IsType<SipRequest>(message);
    }

    private static SipResponse ParseResponse(string name)
    {
        Assert.True(SipParser.TryParse(Rfc4475Corpus.Get(name).Bytes, out var message, out var error), error?.ToString());
        return Assert.IsType<SipResponse>(message);
    }
}
