namespace WinReflink.WinFsp.Hosting;

/// <summary>A mount step failed; the message is one line naming the step and the NTSTATUS.</summary>
public sealed class WinFspMountException : Exception
{
    public WinFspMountException(string message) : base(message)
    {
    }

    public WinFspMountException()
    {
    }

    public WinFspMountException(string message, Exception inner) : base(message, inner)
    {
    }
}
