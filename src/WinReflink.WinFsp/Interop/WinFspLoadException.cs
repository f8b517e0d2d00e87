namespace WinReflink.WinFsp.Interop;

/// <summary>WinFsp could not be used: not installed, too old, or missing an export. The message is one line for the user.</summary>
public sealed class WinFspLoadException : Exception
{
    public WinFspLoadException(string message) : base(message)
    {
    }

    public WinFspLoadException()
    {
    }

    public WinFspLoadException(string message, Exception inner) : base(message, inner)
    {
    }
}
