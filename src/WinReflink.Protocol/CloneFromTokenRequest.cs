using System.Runtime.InteropServices;

namespace WinReflink.Protocol;

/// <summary>The request of CloneFromToken, and its answer with <see cref="Length"/> set to the bytes cloned.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct CloneFromTokenRequest
{
    public ulong Token;
    public ulong SourceOffset;
    public ulong DestinationOffset;
    /// <summary>Bytes to clone; <see cref="ulong.MaxValue"/> means to the source's end.</summary>
    public ulong Length;
    public ulong Reserved;
}
