using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using WinReflink.Core;
using WinReflink.Core.Errors;
using WinReflink.WinFsp.Interop;
using FileInfo = WinReflink.WinFsp.Interop.FileInfo;

namespace WinReflink.WinFsp.Adapter;

/// <summary>Read, Write, Flush and SetFileSize (winfsp.md 3.8).</summary>
internal sealed unsafe partial class WinFspAdapter
{
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnRead(nint fs, nint fileContext, byte* buffer, ulong offset, uint length, uint* bytesTransferred)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            return a.Read(fileContext, buffer, offset, length, bytesTransferred);
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "Read");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnWrite(nint fs, nint fileContext, byte* buffer, ulong offset, uint length, byte writeToEndOfFile, byte constrainedIo,
        uint* bytesTransferred, FileInfo* info)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            return a.Write(fileContext, buffer, offset, length, writeToEndOfFile != 0, constrainedIo != 0, bytesTransferred, info);
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "Write");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnFlush(nint fs, nint fileContext, FileInfo* info)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            return a.Flush(fileContext, info);
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "Flush");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnSetFileSize(nint fs, nint fileContext, ulong newSize, byte setAllocationSize, FileInfo* info)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            return a.SetFileSize(fileContext, newSize, setAllocationSize != 0, info);
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "SetFileSize");
        }
    }

    /// <summary>At or past the end of file: STATUS_END_OF_FILE; otherwise what there is, clamped to the end.</summary>
    private int Read(nint context, byte* buffer, ulong offset, uint length, uint* bytesTransferred)
    {
        if (!TryHandle(context, out var handle))
        {
            return NtStatus.InvalidHandle;
        }
        *bytesTransferred = 0;
        if (handle.IsDirectory)
        {
            return NtStatus.FileIsADirectory;
        }
        if (offset > FileSystem.MaxFileSize)
        {
            return NtStatus.EndOfFile;
        }
        int count = (int)Math.Min(length, int.MaxValue);
        var e = _fs.Read(handle.Ino, (long)offset, new Span<byte>(buffer, count), out int read);
        if (e != FsError.Ok)
        {
            return e.ToNtStatus();
        }
        if (read == 0 && count > 0)
        {
            return NtStatus.EndOfFile;
        }
        *bytesTransferred = (uint)read;
        return NtStatus.Success;
    }

    /// <summary>
    /// WriteToEndOfFile appends at the current size; ConstrainedIo (paging I/O) never extends the file,
    /// so it is clamped to the size and writes nothing past it; the new FileInfo goes back (3.7, 3.8).
    /// </summary>
    private int Write(nint context, byte* buffer, ulong offset, uint length, bool writeToEndOfFile, bool constrainedIo, uint* bytesTransferred, FileInfo* info)
    {
        if (!TryHandle(context, out var handle))
        {
            return NtStatus.InvalidHandle;
        }
        *bytesTransferred = 0;
        if (handle.IsDirectory)
        {
            return NtStatus.FileIsADirectory;
        }
        lock (handle.Node.IoLock)
        {
            var e = _fs.GetAttributes(handle.Ino, out var a);
            if (e != FsError.Ok)
            {
                return e.ToNtStatus();
            }
            ulong size = (ulong)a.Size;
            ulong count = length;
            if (constrainedIo)
            {
                if (offset >= size)
                {
                    Fill(a, info);
                    return NtStatus.Success;
                }
                count = Math.Min(count, size - offset);
            }
            else if (writeToEndOfFile)
            {
                offset = size;
            }
            if (offset > FileSystem.MaxFileSize)
            {
                return NtStatus.DiskFull;
            }
            e = _fs.Write(handle.Ino, (long)offset, new ReadOnlySpan<byte>(buffer, (int)Math.Min(count, int.MaxValue)), out int written);
            if (e != FsError.Ok)
            {
                return e.ToNtStatus();
            }
            *bytesTransferred = (uint)written;
            return FillFromInode(handle.Ino, info);
        }
    }

    /// <summary>A handle's data to stable storage, or with no handle (FileContext NULL) the whole volume.</summary>
    private int Flush(nint context, FileInfo* info)
    {
        if (context == 0)
        {
            return _fs.Sync().ToNtStatus();
        }
        if (!TryHandle(context, out var handle))
        {
            return NtStatus.InvalidHandle;
        }
        var e = handle.IsDirectory ? _fs.Sync() : _fs.Fsync(handle.Ino);
        return e != FsError.Ok ? e.ToNtStatus() : FillFromInode(handle.Ino, info);
    }

    /// <summary>
    /// End of file, or allocation size (3.8): an allocation below the end of file truncates the file; one
    /// beyond it reserves blocks past the end without changing the size (fallocate KEEP_SIZE).
    /// </summary>
    private int SetFileSize(nint context, ulong newSize, bool setAllocationSize, FileInfo* info)
    {
        if (!TryHandle(context, out var handle))
        {
            return NtStatus.InvalidHandle;
        }
        if (handle.IsDirectory)
        {
            return NtStatus.FileIsADirectory;
        }
        if (newSize > FileSystem.MaxFileSize)
        {
            return NtStatus.DiskFull;
        }
        lock (handle.Node.IoLock)
        {
            var e = _fs.GetAttributes(handle.Ino, out var a);
            if (e != FsError.Ok)
            {
                return e.ToNtStatus();
            }
            long size = (long)newSize;
            if (!setAllocationSize || size < a.Size)
            {
                if (size != a.Size)
                {
                    e = _fs.SetAttributes(handle.Ino, new SetAttributesRequest(SetAttributeFields.Size, Size: size), out _);
                }
            }
            else if (size > Math.Max(RoundUp(a.Size, AllocationUnit), a.AllocatedBytes))
            {
                e = _fs.Allocate(handle.Ino, a.Size, size - a.Size, AllocateMode.KeepSize);
            }
            return e != FsError.Ok ? e.ToNtStatus() : FillFromInode(handle.Ino, info);
        }
    }
}
