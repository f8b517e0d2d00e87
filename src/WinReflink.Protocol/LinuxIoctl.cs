using System.Runtime.InteropServices;

namespace WinReflink.Protocol;

/// <summary>Linux ioctl request numbers (_IOC encoding: dir &lt;&lt; 30 | size &lt;&lt; 16 | 'W' &lt;&lt; 8 | nr).</summary>
public static class LinuxIoctl
{
    private const uint Write = 1, Read = 2;
    private const uint Type = 'W';

    private static uint Ioc(uint dir, uint nr, uint size) => (dir << 30) | (size << 16) | (Type << 8) | nr;

    /// <summary>Read the volume's figures as JSON (any file or directory of the mount).</summary>
    public static readonly uint Info = Ioc(Read, 1, ControlProtocol.InfoBytes);
    /// <summary>Read a page of the file's extents; in: <see cref="ExtentsPageHeader.StartIndex"/>.</summary>
    public static readonly uint Extents = Ioc(Read | Write, 2, ControlProtocol.ExtentsPageBytes);
    /// <summary>On a handle open for reading: a token naming this file as a clone source.</summary>
    public static readonly uint GetCloneToken = Ioc(Read, 3, (uint)Marshal.SizeOf<CloneToken>());
    /// <summary>On a handle open for writing: clone a range of the token's file into this one; Length comes back as the bytes cloned.</summary>
    public static readonly uint CloneFromToken = Ioc(Read | Write, 4, (uint)Marshal.SizeOf<CloneFromTokenRequest>());
}
