using System.Runtime.InteropServices;
using System.Text;

namespace WinReflink.Fuse.Tests.Infrastructure;

/// <summary>The calls that reach inodes without a name: directory reads, O_PATH, O_TMPFILE, linkat, rmdir.</summary>
internal static unsafe partial class Libc
{
    public const int OPath = 0x200000;
    /// <summary>O_TMPFILE as the kernel defines it: __O_TMPFILE | O_DIRECTORY.</summary>
    public const int OTmpFile = 0x410000;
    public const int AtSymlinkFollow = 0x400;
    private const int AtStatxForceSync = 0x2000;
    private const int AtEmptyPath = 0x1000;

    [LibraryImport("libc", EntryPoint = "getdents64", SetLastError = true)]
    private static partial nint GetDents64Raw(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "linkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LinkAtRaw(int oldDirFd, string oldPath, int newDirFd, string newPath, int flags);

    [LibraryImport("libc", EntryPoint = "rmdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RmdirRaw(string path);

    /// <summary>statx(2) of a descriptor that asks the filesystem (AT_STATX_FORCE_SYNC), not the kernel's cached attributes.</summary>
    public static int TryFStatFromFilesystem(int fd, out StatxBuffer result)
    {
        StatxBuffer s;
        int r = StatxRaw(fd, "", AtEmptyPath | AtStatxForceSync, StatxBasicStats, &s);
        result = s;
        return r == 0 ? 0 : LastErrno;
    }

    /// <summary>
    /// Every name getdents64(2) returns for an open directory, from its current position to the end;
    /// 0 or the errno of the first call that failed.
    /// </summary>
    public static int TryReadDirectoryNames(int fd, out List<string> names)
    {
        int e = TryReadDirectoryEntries(fd, out var entries);
        names = entries.ConvertAll(d => d.Name);
        return e;
    }

    /// <summary>The same, each name with its d_type as getdents64(2) gives it.</summary>
    public static int TryReadDirectoryEntries(int fd, out List<(string Name, byte Type)> entries)
    {
        entries = new List<(string, byte)>();
        const int Size = 32 << 10;
        byte* buffer = stackalloc byte[Size];
        while (true)
        {
            nint n = GetDents64Raw(fd, buffer, Size);
            if (n <= 0)
            {
                return n == 0 ? 0 : LastErrno;
            }
            // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[].
            for (int at = 0; at < n;)
            {
                ushort reclen = *(ushort*)(buffer + at + 16);
                var name = new ReadOnlySpan<byte>(buffer + at + 19, reclen - 19);
                entries.Add((Encoding.UTF8.GetString(name[..name.IndexOf((byte)0)]), buffer[at + 18]));
                at += reclen;
            }
        }
    }

    /// <summary>linkat(2) with AT_SYMLINK_FOLLOW from a path (a /proc/self/fd link gives an O_TMPFILE file its name).</summary>
    public static int LinkFollowing(string oldPath, string newPath) =>
        LinkAtRaw(AtFdCwd, oldPath, AtFdCwd, newPath, AtSymlinkFollow) == 0 ? 0 : LastErrno;

    /// <summary>rmdir(2); returns 0 or the errno.</summary>
    public static int Rmdir(string path) => RmdirRaw(path) == 0 ? 0 : LastErrno;
}
