using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.Win32.SafeHandles;
using WinReflink.Core;
using WinReflink.Core.Interop;
using WinReflink.Protocol;

namespace WinReflink.Client.Windows;

/// <summary>
/// The client side of the control channel on a volume mounted through WinFsp: DeviceIoControl with the
/// <see cref="WindowsIoctl"/> codes on handles of the mount (winfsp.md 4.2), so the I/O manager checks
/// each code's access against the handle, as the Linux client relies on the kernel's permission checks.
/// </summary>
[SupportedOSPlatform("windows")]
internal static unsafe class WindowsMountClient
{
    /// <summary>Whether the path lies on a mounted WinReflink volume (the Info control answers).</summary>
    public static bool IsOnMount(string path)
    {
        using var handle = Open(path, Kernel32.GenericRead, Kernel32.OpenExisting);
        if (handle.IsInvalid)
        {
            return false;
        }
        var buffer = new byte[ControlProtocol.InfoBytes];
        fixed (byte* p = buffer)
        {
            uint n;
            return Kernel32.DeviceIoControl(handle, WindowsIoctl.Info, null, 0, p, (uint)buffer.Length, &n, 0);
        }
    }

    /// <summary>The volume's and cache's figures as JSON; throws <see cref="IOException"/> naming the path on failure.</summary>
    public static string InfoJson(string path)
    {
        using var handle = OpenOrThrow(path, Kernel32.GenericRead, Kernel32.OpenExisting);
        var buffer = new byte[ControlProtocol.InfoBytes];
        fixed (byte* p = buffer)
        {
            uint n;
            Check(Kernel32.DeviceIoControl(handle, WindowsIoctl.Info, null, 0, p, (uint)buffer.Length, &n, 0), path, "is not on a WinReflink volume");
        }
        int end = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
    }

    public static IReadOnlyList<FileExtent> Extents(string path)
    {
        using var handle = OpenOrThrow(path, Kernel32.GenericRead, Kernel32.OpenExisting);
        var result = new List<FileExtent>();
        var page = new byte[ControlProtocol.ExtentsPageBytes];
        var request = new ExtentsPageHeader();
        while (true)
        {
            request.StartIndex = (ulong)result.Count;
            fixed (byte* p = page)
            {
                uint n;
                Check(Kernel32.DeviceIoControl(handle, WindowsIoctl.Extents, &request, (uint)sizeof(ExtentsPageHeader), p, (uint)page.Length, &n, 0),
                    path, "is not a file on a WinReflink volume");
            }
            var header = MemoryMarshal.Read<ExtentsPageHeader>(page);
            var records = MemoryMarshal.Cast<byte, ExtentRecord>(page.AsSpan(sizeof(ExtentsPageHeader)));
            for (int i = 0; i < header.Count; i++)
            {
                var r = records[i];
                result.Add(new FileExtent((long)r.LogicalOffset, (long)r.PhysicalOffset, (long)r.Length, (int)r.ShareCount, (r.Flags & ExtentRecord.Unwritten) != 0));
            }
            if (header.Count == 0 || (ulong)result.Count >= header.Total)
            {
                return result;
            }
        }
    }

    /// <summary>
    /// Clones <paramref name="source"/> into <paramref name="destination"/> (created or truncated): a token
    /// from a read handle on the source, presented on a write handle on the destination. Returns the bytes cloned.
    /// </summary>
    public static long Clone(string source, string destination)
    {
        using var src = OpenOrThrow(source, Kernel32.GenericRead, Kernel32.OpenExisting);
        var token = new CloneToken();
        uint n;
        Check(Kernel32.DeviceIoControl(src, WindowsIoctl.GetCloneToken, null, 0, &token, (uint)sizeof(CloneToken), &n, 0),
            source, "is not a regular file on a WinReflink volume");
        using var dst = OpenOrThrow(destination, Kernel32.GenericRead | Kernel32.GenericWrite, Kernel32.CreateAlways);
        var request = new CloneFromTokenRequest { Token = token.Token, Length = ulong.MaxValue };
        Check(Kernel32.DeviceIoControl(dst, WindowsIoctl.CloneFromToken, &request, (uint)sizeof(CloneFromTokenRequest), &request,
            (uint)sizeof(CloneFromTokenRequest), &n, 0), destination, "is not on the same WinReflink volume as the source");
        return (long)request.Length;
    }

    /// <summary>The file index Windows reports for a path (the engine's inode number).</summary>
    public static long InodeOf(string path)
    {
        using var handle = OpenOrThrow(path, 0, Kernel32.OpenExisting);
        ByHandleFileInformation info;
        Check(Kernel32.GetFileInformationByHandle(handle, &info), path, "has no file index");
        return (long)(((ulong)info.FileIndexHigh << 32) | info.FileIndexLow);
    }

    /// <summary>`R:` means the root of R:, which CreateFileW wants as `R:\`.</summary>
    private static string Normalize(string path) =>
        path.Length == 2 && path[1] == ':' && char.IsAsciiLetter(path[0]) ? path + "\\" : path;

    private static SafeFileHandle Open(string path, uint access, uint disposition) =>
        Kernel32.CreateFile(Normalize(path), access, Kernel32.FileShareRead | Kernel32.FileShareWrite | Kernel32.FileShareDelete, 0,
            disposition, Kernel32.FileFlagBackupSemantics, 0);

    private static SafeFileHandle OpenOrThrow(string path, uint access, uint disposition)
    {
        var handle = Open(path, access, disposition);
        if (handle.IsInvalid)
        {
            int error = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new IOException($"{path}: {Marshal.GetPInvokeErrorMessage(error)}");
        }
        return handle;
    }

    private static void Check(bool ok, string path, string whenNotSupported)
    {
        if (ok)
        {
            return;
        }
        int error = Marshal.GetLastPInvokeError();
        throw new IOException(error == Kernel32.ErrorInvalidFunction
            ? $"{path} {whenNotSupported}"
            : $"{path}: {Marshal.GetPInvokeErrorMessage(error)}");
    }
}
