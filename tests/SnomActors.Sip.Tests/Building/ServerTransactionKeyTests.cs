using SnomActors.Sip.Building;
using SnomActors.Sip.Tests.Corpus;
using SnomActors.Sip.Tests.Support;

namespace SnomActors.Sip.Tests.Building;

public sealed class ServerTransactionKeyTests
{
    [Fact]
    public void A_retransmitted_snom_subscribe_without_a_branch_has_the_same_key()
    {
        var first = ServerTransactionKey.For(Wire.ParseRequest(Wire.SnomSubscribe));
        var again = ServerTransactionKey.For(Wire.ParseRequest(Wire.SnomSubscribe));
        Assert.Equal(first, again);
    }

    [Fact]
    public void A_branchless_subscribe_with_a_new_cseq_or_call_id_is_a_new_transaction()
    {
        var original = ServerTransactionKey.For(Wire.ParseRequest(Wire.Subscribe(("Via", "Via: SIP/2.0/UDP 192.0.2.10:2055;rport"))));
        var newCSeq = ServerTransactionKey.For(Wire.ParseRequest(Wire.Subscribe(("Via", "Via: SIP/2.0/UDP 192.0.2.10:2055;rport"), ("CSeq", "CSeq: 2 SUBSCRIBE"))));
        var newCallId = ServerTransactionKey.For(Wire.ParseRequest(Wire.Subscribe(("Via", "Via: SIP/2.0/UDP 192.0.2.10:2055;rport"), ("Call-ID", "Call-ID: reboot@192.0.2.10"))));
        Assert.NotEqual(original, newCSeq);
        Assert.NotEqual(original, newCallId);
        Assert.NotEqual(newCSeq, newCallId);
    }

    [Fact]
    public void Rfc_3261_branches_key_on_branch_sent_by_and_method_only()
    {
        var viaA = ("Via", (string?)"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKaaa;rport");
        var original = ServerTransactionKey.For(Wire.ParseRequest(Wire.Subscribe(viaA)));
        // A retransmission may differ in irrelevant places (here the Expires row); same branch = same transaction.
        var retransmission = ServerTransactionKey.For(Wire.ParseRequest(Wire.Subscribe(viaA, ("Expires", "Expires: 0"))));
        var otherBranch = ServerTransactionKey.For(Wire.ParseRequest(Wire.Subscribe(("Via", "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbbb;rport"))));
        var otherSentBy = ServerTransactionKey.For(Wire.ParseRequest(Wire.Subscribe(("Via", "Via: SIP/2.0/UDP 192.0.2.11:5060;branch=z9hG4bKaaa;rport"))));
        Assert.Equal(original, retransmission);
        Assert.NotEqual(original, otherBranch);
        Assert.NotEqual(original, otherSentBy);
    }

    [Fact]
    public void Every_vendor_subscribe_has_a_key_that_is_stable_across_parses()
    {
        foreach (var sample in VendorSamples.Load())
            Assert.Equal(ServerTransactionKey.For(Wire.ParseRequest(sample.Bytes)), ServerTransactionKey.For(Wire.ParseRequest(sample.Bytes)));
    }

    [Fact]
    public void A_bare_magic_cookie_branch_falls_back_to_the_rfc_2543_rules()
    {
        var request = Wire.ParseRequest(Rfc4475Corpus.Get("badbranch").Bytes);
        var key = ServerTransactionKey.For(request);
        Assert.Equal(key, ServerTransactionKey.For(Wire.ParseRequest(Rfc4475Corpus.Get("badbranch").Bytes)));
        Assert.DoesNotContain("3261|z9hG4bK|", key, StringComparison.Ordinal);
    }
}
