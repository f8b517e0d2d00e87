namespace WinReflink.Core.Tests.Model;

/// <summary>
/// A traced operation that makes no sense in the model's current state (a file that does not exist, a
/// release without an open). Not an engine failure: trace shrinking drops candidates that end this way.
/// </summary>
public sealed class InvalidTraceException : Exception
{
    public InvalidTraceException(string message)
        : base(message)
    {
    }

    public InvalidTraceException()
    {
    }

    public InvalidTraceException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
