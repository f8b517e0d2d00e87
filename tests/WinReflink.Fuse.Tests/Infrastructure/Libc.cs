using System.Runtime.InteropServices;

namespace WinReflink.Fuse.Tests.Infrastructure;

/// <summary>
/// The system calls the tests drive the mount with, called directly so that each one reaches the
/// kernel (and through it the FUSE host) as exactly one request, with its errno intact.
/// </summary>
internal static unsafe partial class Libc
{
    public const int ORdOnly = 0;
    public const int OWrOnly = 1;
    public const int ORdWr = 2;
    public const int OCreat = 0x40;
    public const int OExcl = 0x80;
    public const int OTrunc = 0x200;
    public const int ODirect = 0x4000;
    public const int ODirectory = 0x10000;
    public const int OCloExec = 0x80000;

    public const int SeekData = 3;
    public const int SeekHole = 4;

    public const int FallocKeepSize = 1;
    public const int FallocPunchHole = 2;
    public const int FallocZeroRange = 16;

    public const uint RenameNoReplace = 1;
    public const uint RenameExchange = 2;
    public const uint RenameWhiteout = 4;

    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const uint StatxBasicStats = 0x7ff;

    public const int XattrCreate = 1;

    public const int EPerm = 1;
    public const int ENoEnt = 2;
    public const int EAcces = 13;
    public const int EBusy = 16;
    public const int EExist = 17;
    public const int EXDev = 18;
    public const int EInval = 22;
    public const int ENxio = 6;
    public const int ENoData = 61;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenRaw(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint PReadRaw(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint PWriteRaw(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int FTruncateRaw(int fd, long length);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LSeekRaw(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncRaw(int fd);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int FallocateRaw(int fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    private static partial nint CopyFileRangeRaw(int fdIn, long* offIn, int fdOut, long* offOut, nuint length, uint flags);

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt2Raw(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LinkRaw(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "unlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int UnlinkRaw(string path);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoctlRaw(int fd, nuint request, void* argument);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int StatxRaw(int dirFd, string path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport("libc", EntryPoint = "lsetxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LSetXattrRaw(string path, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "lgetxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint LGetXattrRaw(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "llistxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint LListXattrRaw(string path, byte* list, nuint size);

    [LibraryImport("libc", EntryPoint = "utimensat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int UtimensAtRaw(int dirFd, string path, TimeSpec* times, int flags);

    [LibraryImport("libc", EntryPoint = "umount2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Umount2Raw(string target, int flags);

    public static int LastErrno => Marshal.GetLastPInvokeError();

    private static PosixException Fail(string call, string? what = null) => new(LastErrno, what == null ? call : $"{call}({what})");

    public static int Open(string path, int flags, int mode = 0x1a4)
    {
        int fd = OpenRaw(path, flags | OCloExec, mode);
        return fd >= 0 ? fd : throw Fail("open", path);
    }

    /// <summary>open(2) that reports failure as an errno instead of throwing.</summary>
    public static int TryOpen(string path, int flags, out int fd, int mode = 0x1a4)
    {
        fd = OpenRaw(path, flags | OCloExec, mode);
        return fd >= 0 ? 0 : LastErrno;
    }

    public static int PRead(int fd, Span<byte> buffer, long offset)
    {
        fixed (byte* p = buffer)
        {
            nint n = PReadRaw(fd, p, (nuint)buffer.Length, offset);
            return n >= 0 ? (int)n : throw Fail("pread");
        }
    }

    /// <summary>Reads until the buffer is full or end of file; returns the bytes read.</summary>
    public static int PReadFully(int fd, Span<byte> buffer, long offset)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = PRead(fd, buffer[done..], offset + done);
            if (n == 0)
            {
                break;
            }
            done += n;
        }
        return done;
    }

    public static void PWriteFully(int fd, ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* p = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                nint n = PWriteRaw(fd, p + done, (nuint)(data.Length - done), offset + done);
                if (n <= 0)
                {
                    throw Fail("pwrite");
                }
                done += (int)n;
            }
        }
    }

    public static void FTruncate(int fd, long length)
    {
        if (FTruncateRaw(fd, length) != 0)
        {
            throw Fail("ftruncate");
        }
    }

    /// <summary>lseek(2); returns the offset, or -errno.</summary>
    public static long LSeek(int fd, long offset, int whence)
    {
        long r = LSeekRaw(fd, offset, whence);
        return r >= 0 ? r : -LastErrno;
    }

    public static void Fsync(int fd)
    {
        if (FsyncRaw(fd) != 0)
        {
            throw Fail("fsync");
        }
    }

    /// <summary>fallocate(2); returns 0 or the errno.</summary>
    public static int Fallocate(int fd, int mode, long offset, long length) =>
        FallocateRaw(fd, mode, offset, length) == 0 ? 0 : LastErrno;

    /// <summary>copy_file_range(2) at explicit offsets; returns the bytes copied, or -errno.</summary>
    public static long CopyFileRange(int fdIn, long offIn, int fdOut, long offOut, long length)
    {
        nint n = CopyFileRangeRaw(fdIn, &offIn, fdOut, &offOut, (nuint)length, 0);
        return n >= 0 ? n : -LastErrno;
    }

    /// <summary>renameat2(2) relative to the working directory; returns 0 or the errno.</summary>
    public static int Rename2(string oldPath, string newPath, uint flags) =>
        RenameAt2Raw(AtFdCwd, oldPath, AtFdCwd, newPath, flags) == 0 ? 0 : LastErrno;

    public static void Link(string oldPath, string newPath)
    {
        if (LinkRaw(oldPath, newPath) != 0)
        {
            throw Fail("link", newPath);
        }
    }

    /// <summary>unlink(2); returns 0 or the errno.</summary>
    public static int Unlink(string path) => UnlinkRaw(path) == 0 ? 0 : LastErrno;

    public static void Ioctl(int fd, uint request, Span<byte> argument)
    {
        fixed (byte* p = argument)
        {
            if (IoctlRaw(fd, request, p) != 0)
            {
                throw Fail("ioctl", $"0x{request:x8}");
            }
        }
    }

    public static StatxBuffer Stat(string path, bool followSymlinks = true)
    {
        int e = TryStat(path, out var s, followSymlinks);
        return e == 0 ? s : throw new PosixException(e, $"statx({path})");
    }

    /// <summary>statx(2); returns 0 or the errno.</summary>
    public static int TryStat(string path, out StatxBuffer result, bool followSymlinks = true)
    {
        StatxBuffer s;
        int r = StatxRaw(AtFdCwd, path, followSymlinks ? 0 : AtSymlinkNoFollow, StatxBasicStats, &s);
        result = s;
        return r == 0 ? 0 : LastErrno;
    }

    public static StatxBuffer FStat(int fd)
    {
        StatxBuffer s;
        const int AtEmptyPath = 0x1000;
        return StatxRaw(fd, "", AtEmptyPath, StatxBasicStats, &s) == 0 ? s : throw Fail("statx", $"fd {fd}");
    }

    public static void SetXattr(string path, string name, ReadOnlySpan<byte> value, int flags = 0)
    {
        fixed (byte* p = value)
        {
            if (LSetXattrRaw(path, name, p, (nuint)value.Length, flags) != 0)
            {
                throw Fail("lsetxattr", $"{path}, {name}");
            }
        }
    }

    public static byte[] GetXattr(string path, string name)
    {
        var buffer = new byte[65536];
        fixed (byte* p = buffer)
        {
            nint n = LGetXattrRaw(path, name, p, (nuint)buffer.Length);
            return n >= 0 ? buffer[..(int)n] : throw Fail("lgetxattr", $"{path}, {name}");
        }
    }

    public static string[] ListXattrs(string path)
    {
        var buffer = new byte[65536];
        fixed (byte* p = buffer)
        {
            nint n = LListXattrRaw(path, p, (nuint)buffer.Length);
            if (n < 0)
            {
                throw Fail("llistxattr", path);
            }
            return System.Text.Encoding.UTF8.GetString(buffer, 0, (int)n).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
    }

    /// <summary>Sets access and modification times to the nanosecond, without following a symlink.</summary>
    public static void SetTimes(string path, (long Seconds, long Nanoseconds) access, (long Seconds, long Nanoseconds) modify)
    {
        var times = stackalloc TimeSpec[2];
        times[0] = new TimeSpec { Seconds = access.Seconds, Nanoseconds = access.Nanoseconds };
        times[1] = new TimeSpec { Seconds = modify.Seconds, Nanoseconds = modify.Nanoseconds };
        if (UtimensAtRaw(AtFdCwd, path, times, AtSymlinkNoFollow) != 0)
        {
            throw Fail("utimensat", path);
        }
    }

    /// <summary>Lazy unmount, for cleaning up after a mount process that did not finish.</summary>
    public static int DetachMount(string target)
    {
        const int MntDetach = 2;
        return Umount2Raw(target, MntDetach) == 0 ? 0 : LastErrno;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
