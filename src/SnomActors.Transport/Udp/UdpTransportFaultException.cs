namespace SnomActors.Transport.Udp;

/// <summary>The UDP transport's socket failed (bind gave up, or the receive loop died); the supervisor recreates the actor.</summary>
public sealed class UdpTransportFaultException(string message, Exception inner) : Exception(message, inner);
