namespace SnomActors.Sip.Messages;

/// <summary>Method names. Methods are case-sensitive (RFC 3261 §7.1, RFC 6665 §8.1.1).</summary>
public static class SipMethods
{
    public const string Subscribe = "SUBSCRIBE";
    public const string Notify = "NOTIFY";
    public const string Options = "OPTIONS";
    public const string Ack = "ACK";
    public const string Cancel = "CANCEL";
    public const string Invite = "INVITE";
    public const string Register = "REGISTER";
    public const string Bye = "BYE";
    public const string Message = "MESSAGE";
    public const string Info = "INFO";
    public const string Refer = "REFER";
    public const string Update = "UPDATE";
    public const string Prack = "PRACK";
    public const string Publish = "PUBLISH";

    /// <summary>Methods RFC 3261 and its extensions define (so an unimplemented one is 405, anything else 501).</summary>
    public static bool IsKnown(string method) => method is Subscribe or Notify or Options or Ack or Cancel
        or Invite or Register or Bye or Message or Info or Refer or Update or Prack or Publish;

    /// <summary>Returns the shared constant for a known method, else a new string.</summary>
    public static string Intern(ReadOnlySpan<char> method) => method switch
    {
        Subscribe => Subscribe, Notify => Notify, Options => Options, Ack => Ack, Cancel => Cancel,
        Invite => Invite, Register => Register, Bye => Bye, Message => Message, Info => Info,
        Refer => Refer, Update => Update, Prack => Prack, Publish => Publish,
        _ => method.ToString(),
    };
}
