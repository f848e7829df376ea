namespace SnomActors.Sip.Messages;

/// <summary>Canonical header names and the compact forms of RFC 3261 §20 and its extensions.</summary>
public static class HeaderNames
{
    public const string Via = "Via";
    public const string From = "From";
    public const string To = "To";
    public const string CallId = "Call-ID";
    public const string CSeq = "CSeq";
    public const string Contact = "Contact";
    public const string MaxForwards = "Max-Forwards";
    public const string ContentLength = "Content-Length";
    public const string ContentType = "Content-Type";
    public const string ContentEncoding = "Content-Encoding";
    public const string Expires = "Expires";
    public const string Event = "Event";
    public const string AllowEvents = "Allow-Events";
    public const string Allow = "Allow";
    public const string Accept = "Accept";
    public const string UserAgent = "User-Agent";
    public const string Server = "Server";
    public const string Require = "Require";
    public const string Supported = "Supported";
    public const string Unsupported = "Unsupported";
    public const string RecordRoute = "Record-Route";
    public const string Route = "Route";
    public const string SubscriptionState = "Subscription-State";
    public const string RetryAfter = "Retry-After";
    public const string Subject = "Subject";
    public const string ReferTo = "Refer-To";
    public const string ReferredBy = "Referred-By";
    public const string AcceptContact = "Accept-Contact";
    public const string RejectContact = "Reject-Contact";
    public const string RequestDisposition = "Request-Disposition";
    public const string SessionExpires = "Session-Expires";
    public const string Identity = "Identity";
    public const string IdentityInfo = "Identity-Info";

    private static readonly string[] Known =
    [
        Via, From, To, CallId, CSeq, Contact, MaxForwards, ContentLength, ContentType, ContentEncoding,
        Expires, Event, AllowEvents, Allow, Accept, UserAgent, Server, Require, Supported, Unsupported,
        RecordRoute, Route, SubscriptionState, RetryAfter, Subject, ReferTo, ReferredBy, AcceptContact,
        RejectContact, RequestDisposition, SessionExpires, Identity, IdentityInfo,
        "Accept-Encoding", "Accept-Language", "Alert-Info", "Authorization", "Call-Info", "Content-Disposition",
        "Content-Language", "Date", "Error-Info", "In-Reply-To", "MIME-Version", "Min-Expires", "Organization",
        "Priority", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Require", "Reply-To", "Timestamp",
        "Warning", "WWW-Authenticate", "P-Asserted-Identity", "Privacy",
    ];

    private static readonly Dictionary<string, string> ByLowerName = BuildTable();

    private static Dictionary<string, string> BuildTable()
    {
        var table = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in Known) table[name] = name;
        // Compact forms: RFC 3261 §20 (c e f i k l m s t v), RFC 6665 (o u), RFC 3841 (a j d),
        // RFC 3892 (b), RFC 3515 (r), RFC 4028 (x), RFC 4474 (y n).
        table["c"] = ContentType; table["e"] = ContentEncoding; table["f"] = From; table["i"] = CallId;
        table["k"] = Supported; table["l"] = ContentLength; table["m"] = Contact; table["s"] = Subject;
        table["t"] = To; table["v"] = Via; table["o"] = Event; table["u"] = AllowEvents;
        table["a"] = AcceptContact; table["j"] = RejectContact; table["d"] = RequestDisposition;
        table["b"] = ReferredBy; table["r"] = ReferTo; table["x"] = SessionExpires;
        table["y"] = Identity; table["n"] = IdentityInfo;
        return table;
    }

    private static readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> Lookup =
        ByLowerName.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The canonical name for a received header name (long or compact, any case).</summary>
    public static string Canonicalize(ReadOnlySpan<char> name) => name switch
    {
        // Exact spellings phones send, matched without hashing: this runs for every header row of every datagram.
        Via or "v" => Via,
        From or "f" => From,
        To or "t" => To,
        CallId or "i" => CallId,
        CSeq => CSeq,
        Contact or "m" => Contact,
        MaxForwards => MaxForwards,
        ContentLength or "l" => ContentLength,
        ContentType => ContentType,
        Expires => Expires,
        Event => Event,
        Accept => Accept,
        UserAgent => UserAgent,
        Allow => Allow,
        AllowEvents => AllowEvents,
        Supported => Supported,
        _ => Lookup.TryGetValue(name, out var canonical) ? canonical : name.ToString(),
    };

    /// <summary>Headers that may appear at most once (RFC 4475 <c>multi01</c>, <c>mcl01</c>): a second row is a 400.</summary>
    public static bool IsSingleValued(string canonicalName) => canonicalName is
        CallId or From or To or CSeq or MaxForwards or ContentLength or ContentType or Expires;
}
