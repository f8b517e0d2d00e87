using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using WinReflink.Core;
using WinReflink.Core.Errors;
using WinReflink.WinFsp.Interop;
using FileInfo = WinReflink.WinFsp.Interop.FileInfo;

namespace WinReflink.WinFsp.Adapter;

/// <summary>Create, open, overwrite, cleanup and close (winfsp.md 3.2, 3.4).</summary>
internal sealed unsafe partial class WinFspAdapter
{
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnCreateEx(nint fs, char* fileName, uint createOptions, uint grantedAccess, uint fileAttributes, nint securityDescriptor,
        ulong allocationSize, void* extraBuffer, uint extraLength, byte extraBufferIsReparsePoint, nint* fileContext, OpenFileInfo* info)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            return a.CreateEx(Text(fileName), createOptions, grantedAccess, fileAttributes, securityDescriptor, allocationSize, extraLength, fileContext, info);
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "CreateEx");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnOpen(nint fs, char* fileName, uint createOptions, uint grantedAccess, nint* fileContext, OpenFileInfo* info)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            return a.Open(Text(fileName), createOptions, grantedAccess, fileContext, info);
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "Open");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnOverwriteEx(nint fs, nint fileContext, uint fileAttributes, byte replaceFileAttributes, ulong allocationSize,
        void* ea, uint eaLength, FileInfo* info)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            return a.Overwrite(fileContext, fileAttributes, replaceFileAttributes != 0, allocationSize, eaLength, info);
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "OverwriteEx");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnCleanup(nint fs, nint fileContext, char* fileName, uint flags)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            a.Cleanup(fileContext, Text(fileName), (CleanupFlags)flags);
        }
        catch (Exception e)
        {
            Unexpected(a, e, "Cleanup");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnClose(nint fs, nint fileContext)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            a.Close(fileContext);
        }
        catch (Exception e)
        {
            Unexpected(a, e, "Close");
        }
    }

    private int CreateEx(string? path, uint createOptions, uint grantedAccess, uint fileAttributes, nint securityDescriptor,
        ulong allocationSize, uint extraLength, nint* fileContext, OpenFileInfo* info)
    {
        if (path == null || fileContext == null || info == null)
        {
            return NtStatus.InvalidParameter;
        }
        if (extraLength > 0)
        {
            // Neither extended attributes nor reparse points are offered (ExtendedAttributes and ReparsePoints are off).
            return NtStatus.EasNotSupported;
        }
        int status = ResolveParent(path, out var parent, out string parentPath, out string leaf);
        if (status != NtStatus.Success)
        {
            return status;
        }
        byte[]? sd = null;
        if (securityDescriptor != 0)
        {
            sd = SecurityDescriptors.Copy(securityDescriptor);
            if (sd == null)
            {
                return NtStatus.InvalidSecurityDescr;
            }
        }
        bool directory = (createOptions & CreateOptions.DirectoryFile) != 0;
        // New files get the archive bit, as NTFS (and memfs, winfsp.md 3.8) give them.
        uint attributes = (fileAttributes & SettableAttributes) | (directory ? 0 : FileAttributeBits.Archive);
        var request = new CreateRequest(directory ? DirectoryMode : RegularMode, _options.Uid, _options.Gid, (WindowsAttributes)attributes, 0, sd);
        var e = directory
            ? _fs.Mkdir(parent.Ino, leaf, request, out var created)
            : _fs.Create(parent.Ino, leaf, request, out created);
        if (e != FsError.Ok)
        {
            return e.ToNtStatus();
        }
        if (!directory && allocationSize > 0)
        {
            e = _fs.Allocate(created.Ino, 0, (long)Math.Min(allocationSize, (ulong)FileSystem.MaxFileSize), AllocateMode.KeepSize);
            if (e != FsError.Ok)
            {
                // The create fails as a whole: the new name goes again.
                _fs.Unlink(parent.Ino, leaf);
                return e.ToNtStatus();
            }
        }
        return OpenCreated(created.Ino, WindowsPaths.Join(parentPath, leaf), directory, grantedAccess, fileContext, info);
    }

    private int OpenCreated(long ino, string normalized, bool directory, uint grantedAccess, nint* fileContext, OpenFileInfo* info)
    {
        var e = _fs.OpenInode(ino, directory ? OpenIntent.Read : IntentOf(grantedAccess));
        if (e != FsError.Ok)
        {
            return e.ToNtStatus();
        }
        e = _fs.GetAttributes(ino, out var a);
        if (e != FsError.Ok)
        {
            _fs.Release(ino);
            return e.ToNtStatus();
        }
        *fileContext = AddHandle(ino, normalized, directory, grantedAccess);
        Fill(a, &info->FileInfo);
        SetNormalizedName(info, normalized);
        return NtStatus.Success;
    }

    private int Open(string? path, uint createOptions, uint grantedAccess, nint* fileContext, OpenFileInfo* info)
    {
        if (path == null || fileContext == null || info == null)
        {
            return NtStatus.InvalidParameter;
        }
        int status = Resolve(path, out var a, out string normalized);
        if (status != NtStatus.Success)
        {
            return status;
        }
        if ((createOptions & CreateOptions.DirectoryFile) != 0 && !a.IsDirectory)
        {
            return NtStatus.NotADirectory;
        }
        if ((createOptions & CreateOptions.NonDirectoryFile) != 0 && a.IsDirectory)
        {
            return NtStatus.FileIsADirectory;
        }
        return OpenCreated(a.Ino, normalized, a.IsDirectory, grantedAccess, fileContext, info);
    }

    /// <summary>Which flag checks an open must pass: writing, or appending only (FILE_APPEND_DATA without FILE_WRITE_DATA).</summary>
    private static OpenIntent IntentOf(uint grantedAccess)
    {
        if ((grantedAccess & AccessMask.WriteData) != 0)
        {
            return OpenIntent.Write;
        }
        return (grantedAccess & AccessMask.AppendData) != 0 ? OpenIntent.Write | OpenIntent.Append : OpenIntent.Read;
    }

    /// <summary>
    /// FILE_OVERWRITE(_IF) and FILE_SUPERSEDE after the open (3.2): the data goes; attributes are replaced
    /// (supersede) or added to (overwrite), with the archive bit; an allocation size is reserved.
    /// </summary>
    private int Overwrite(nint context, uint fileAttributes, bool replace, ulong allocationSize, uint eaLength, FileInfo* info)
    {
        if (!TryHandle(context, out var handle))
        {
            return NtStatus.InvalidHandle;
        }
        if (eaLength > 0)
        {
            return NtStatus.EasNotSupported;
        }
        if (handle.IsDirectory)
        {
            return NtStatus.FileIsADirectory;
        }
        lock (handle.Node.IoLock)
        {
            var e = _fs.GetAttributes(handle.Ino, out var current);
            if (e != FsError.Ok)
            {
                return e.ToNtStatus();
            }
            uint attributes = (fileAttributes & SettableAttributes) | FileAttributeBits.Archive;
            if (!replace)
            {
                attributes |= (uint)current.WindowsAttributes & SettableAttributes;
            }
            e = _fs.SetAttributes(handle.Ino, new SetAttributesRequest(SetAttributeFields.Size | SetAttributeFields.WindowsAttributes, Size: 0,
                WindowsAttributes: (WindowsAttributes)attributes), out var a);
            if (e == FsError.Ok && allocationSize > 0)
            {
                e = _fs.Allocate(handle.Ino, 0, (long)Math.Min(allocationSize, (ulong)FileSystem.MaxFileSize), AllocateMode.KeepSize);
            }
            if (e != FsError.Ok)
            {
                return e.ToNtStatus();
            }
            return FillFromInode(handle.Ino, info);
        }
    }

    /// <summary>
    /// The last handle of a file object closes (3.4). Delete happens here and only here, even while
    /// other handles are open (POSIX delete: the inode lives on as an orphan until its last Close).
    /// Then the allocation trim, the archive bit and the times the flags ask for.
    /// </summary>
    private void Cleanup(nint context, string? fileName, CleanupFlags flags)
    {
        if (!TryHandle(context, out var handle))
        {
            return;
        }
        if ((flags & CleanupFlags.Delete) != 0 && fileName != null)
        {
            // A deleted file's times and allocation no longer matter to anyone who can name it.
            DeleteOnCleanup(handle, fileName);
            return;
        }
        var fields = SetAttributeFields.None;
        var e = _fs.GetAttributes(handle.Ino, out var a);
        if (e != FsError.Ok)
        {
            return;
        }
        if ((flags & CleanupFlags.SetAllocationSize) != 0 && !a.IsDirectory && a.AllocatedBytes > RoundUp(a.Size, AllocationUnit))
        {
            // Space reserved past the end of file goes when the last handle closes, as on NTFS.
            long from = RoundUp(a.Size, AllocationUnit);
            LogIfFailed(_fs.Allocate(handle.Ino, from, FileSystem.MaxFileSize - from, AllocateMode.PunchHole), "trim the allocation of", handle);
        }
        var attributes = a.WindowsAttributes;
        if ((flags & CleanupFlags.SetArchiveBit) != 0 && !a.IsDirectory && (attributes & WindowsAttributes.Archive) == 0)
        {
            fields |= SetAttributeFields.WindowsAttributes;
            attributes |= WindowsAttributes.Archive;
        }
        if ((flags & CleanupFlags.SetLastAccessTime) != 0)
        {
            fields |= SetAttributeFields.AccessTimeNow;
        }
        if ((flags & CleanupFlags.SetLastWriteTime) != 0)
        {
            fields |= SetAttributeFields.ModifyTimeNow;
        }
        if (fields != SetAttributeFields.None || (flags & CleanupFlags.SetChangeTime) != 0)
        {
            LogIfFailed(_fs.SetAttributes(handle.Ino, new SetAttributesRequest(fields, WindowsAttributes: attributes), out _), "stamp the times of", handle);
        }
    }

    private void DeleteOnCleanup(FileHandle handle, string fileName)
    {
        if (ResolveParent(fileName, out var parent, out _, out string leaf) != NtStatus.Success)
        {
            return;
        }
        // The name may have been taken by another file since (a rename over it): remove only our own.
        if (_fs.Lookup(parent.Ino, leaf, out var named) != FsError.Ok || named.Ino != handle.Ino)
        {
            return;
        }
        var e = handle.IsDirectory ? _fs.Rmdir(parent.Ino, leaf) : _fs.Unlink(parent.Ino, leaf);
        LogIfFailed(e, "delete", handle);
    }

    private void Close(nint context)
    {
        var handle = RemoveHandle(context);
        if (handle != null)
        {
            LogIfFailed(_fs.Release(handle.Ino), "release", handle);
        }
    }

    private void LogIfFailed(FsError e, string what, FileHandle handle)
    {
        if (e != FsError.Ok)
        {
            _logger.LogWarning("Cleanup could not {What} {Path}: {Error}", what, handle.Node.Path, e.Describe());
        }
    }
}
