namespace WinReflink.Core.Volume;

/// <summary>
/// A volume cannot be formatted or opened. The message names the problem in one line, for the user;
/// this is thrown only by format and open, never by file operations.
/// </summary>
public sealed class VolumeException : Exception
{
    public VolumeException(string message)
        : base(message)
    {
    }

    public VolumeException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public VolumeException()
    {
    }
}
