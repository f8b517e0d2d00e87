using System.Runtime.InteropServices;
using System.Text;
using WinReflink.Core;
using WinReflink.Core.Interop;
using WinReflink.Protocol;

namespace WinReflink.Client.Linux;

/// <summary>
/// The client side of the control channel on a FUSE mount: ioctls on files and directories of the
/// mount, so every request passes the filesystem's own permission checks.
/// </summary>
internal static unsafe class LinuxMountClient
{
    /// <summary>Whether the path lies on a mounted WinReflink volume (the Info ioctl answers).</summary>
    public static bool IsOnMount(string path)
    {
        int fd = OpenPath(path, write: false, out _);
        if (fd < 0)
        {
            return false;
        }
        try
        {
            var buffer = new byte[ControlProtocol.InfoBytes];
            fixed (byte* p = buffer)
            {
                return Libc.Ioctl(fd, LinuxIoctl.Info, p) == 0;
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>The volume's and cache's figures as JSON; throws <see cref="IOException"/> naming the path on failure.</summary>
    public static string InfoJson(string path)
    {
        int fd = OpenOrThrow(path, write: false);
        try
        {
            var buffer = new byte[ControlProtocol.InfoBytes];
            fixed (byte* p = buffer)
            {
                Check(Libc.Ioctl(fd, LinuxIoctl.Info, p), path, "is not on a WinReflink mount");
            }
            int end = Array.IndexOf(buffer, (byte)0);
            return Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    public static IReadOnlyList<FileExtent> Extents(string path)
    {
        int fd = OpenOrThrow(path, write: false);
        try
        {
            var result = new List<FileExtent>();
            var page = new byte[ControlProtocol.ExtentsPageBytes];
            ulong start = 0;
            while (true)
            {
                Array.Clear(page);
                fixed (byte* p = page)
                {
                    ((ExtentsPageHeader*)p)->StartIndex = start;
                    Check(Libc.Ioctl(fd, LinuxIoctl.Extents, p), path, "is not a file on a WinReflink mount");
                    var header = *(ExtentsPageHeader*)p;
                    var records = (ExtentRecord*)(p + sizeof(ExtentsPageHeader));
                    for (int i = 0; i < header.Count; i++)
                    {
                        var r = records[i];
                        result.Add(new FileExtent((long)r.LogicalOffset, (long)r.PhysicalOffset, (long)r.Length, (int)r.ShareCount, (r.Flags & ExtentRecord.Unwritten) != 0));
                    }
                    start += header.Count;
                    if (header.Count == 0 || start >= header.Total)
                    {
                        return result;
                    }
                }
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>
    /// Clones <paramref name="source"/> into <paramref name="destination"/> (created or truncated) as an
    /// explicit reflink: a token from a read handle on the source, presented on a write handle on the
    /// destination. Returns the bytes cloned.
    /// </summary>
    public static long Clone(string source, string destination)
    {
        int src = OpenOrThrow(source, write: false);
        try
        {
            var token = new CloneToken();
            Check(Libc.Ioctl(src, LinuxIoctl.GetCloneToken, &token), source, "is not a regular file on a WinReflink mount");
            using var dst = File.Open(destination, FileMode.Create, FileAccess.Write);
            var request = new CloneFromTokenRequest { Token = token.Token, Length = ulong.MaxValue };
            int fd = (int)dst.SafeFileHandle.DangerousGetHandle();
            Check(Libc.Ioctl(fd, LinuxIoctl.CloneFromToken, &request), destination, "is not on the same WinReflink mount as the source");
            return (long)request.Length;
        }
        finally
        {
            Libc.Close(src);
        }
    }

    /// <summary>The inode number of a path (stat's st_ino, at offset 8 of struct stat on 64-bit Linux).</summary>
    public static long InodeOf(string path)
    {
        byte* st = stackalloc byte[256];
        if (Libc.Stat(path, st) != 0)
        {
            throw new IOException($"{path}: {Libc.Describe(Libc.LastError)}");
        }
        return *(long*)(st + 8);
    }

    private static int OpenPath(string path, bool write, out int errno)
    {
        int fd = Libc.Open(path, (write ? Libc.ORdWr : Libc.ORdOnly) | Libc.OCloExec, 0);
        errno = fd < 0 ? Libc.LastError : 0;
        return fd;
    }

    private static int OpenOrThrow(string path, bool write)
    {
        int fd = OpenPath(path, write, out int errno);
        if (fd < 0)
        {
            throw new IOException($"{path}: {Libc.Describe(errno)}");
        }
        return fd;
    }

    private static void Check(int rc, string path, string whenNotSupported)
    {
        if (rc == 0)
        {
            return;
        }
        int errno = Marshal.GetLastPInvokeError();
        throw new IOException(errno is Libc.ENotTy or Libc.EOpNotSupp or Libc.ENoSys
            ? $"{path} {whenNotSupported}"
            : $"{path}: {Libc.Describe(errno)}");
    }
}
