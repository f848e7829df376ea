namespace SnomActors.Sip.Messages;

/// <summary>
/// One header field row as received: the canonical (long-form) name and the unfolded value,
/// leading and trailing whitespace removed. Compact forms (<c>v</c>, <c>i</c>, <c>o</c> …) are
/// expanded to their long names at parse time so every lookup uses one spelling.
/// </summary>
public readonly record struct SipHeader(string Name, string Value)
{
    public override string ToString() => $"{Name}: {Value}";
}
