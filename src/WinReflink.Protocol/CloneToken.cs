using System.Runtime.InteropServices;

namespace WinReflink.Protocol;

/// <summary>The answer to GetCloneToken: a token naming the handle's file as a clone source.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct CloneToken
{
    public ulong Token;
}
