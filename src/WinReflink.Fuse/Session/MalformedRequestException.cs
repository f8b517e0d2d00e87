namespace WinReflink.Fuse.Session;

/// <summary>
/// A request whose bytes do not hold what its opcode needs (a body shorter than its struct, a name
/// without its NUL or past the body). Thrown by <see cref="FuseRequest"/> and answered with EINVAL by
/// the dispatcher, so no operation ever reads past what the kernel sent.
/// </summary>
internal sealed class MalformedRequestException : Exception
{
    public MalformedRequestException(string message)
        : base(message)
    {
    }
}
