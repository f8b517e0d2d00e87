namespace WinReflink.Fuse.Mounting;

/// <summary>Mounting or unmounting failed; the message is one line for the user.</summary>
public sealed class MountException : Exception
{
    public MountException(string message)
        : base(message)
    {
    }

    public MountException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public MountException()
    {
    }
}
