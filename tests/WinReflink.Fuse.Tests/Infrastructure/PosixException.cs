using System.Runtime.InteropServices;

namespace WinReflink.Fuse.Tests.Infrastructure;

/// <summary>A failed system call, with its errno.</summary>
public sealed class PosixException : IOException
{
    public PosixException(int errno, string call)
        : base($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})")
    {
        Errno = errno;
    }

    public PosixException()
    {
    }

    public PosixException(string message)
        : base(message)
    {
    }

    public PosixException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public int Errno { get; }
}
