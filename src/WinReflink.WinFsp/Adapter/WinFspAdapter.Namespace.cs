using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using WinReflink.Core;
using WinReflink.Core.Errors;
using WinReflink.WinFsp.Interop;

namespace WinReflink.WinFsp.Adapter;

/// <summary>SetDelete and Rename (winfsp.md 3.4, 3.8).</summary>
internal sealed unsafe partial class WinFspAdapter
{
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnSetDelete(nint fs, nint fileContext, char* fileName, byte deleteFile)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            return a.SetDelete(fileContext, deleteFile != 0);
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "SetDelete");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnRename(nint fs, nint fileContext, char* fileName, char* newFileName, byte replaceIfExists)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            return a.Rename(fileContext, Text(fileName), Text(newFileName), replaceIfExists != 0);
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "Rename");
        }
    }

    /// <summary>
    /// Only checks whether the file may be deleted; the delete itself happens in Cleanup (3.4). The root
    /// cannot go; a directory must be empty. Un-marking (DeleteFile FALSE) always succeeds.
    /// </summary>
    private int SetDelete(nint context, bool deleteFile)
    {
        if (!TryHandle(context, out var handle))
        {
            return NtStatus.InvalidHandle;
        }
        if (!deleteFile)
        {
            return NtStatus.Success;
        }
        if (handle.Ino == FileSystem.RootIno)
        {
            return NtStatus.CannotDelete;
        }
        if (!handle.IsDirectory)
        {
            return NtStatus.Success;
        }
        bool empty = true;
        var e = _fs.ReadDirectory(handle.Ino, 0, _ =>
        {
            empty = false;
            return false;
        });
        if (e != FsError.Ok)
        {
            return e.ToNtStatus();
        }
        return empty ? NtStatus.Success : NtStatus.DirectoryNotEmpty;
    }

    /// <summary>
    /// Renames by full paths. Without ReplaceIfExists an existing target is OBJECT_NAME_COLLISION; a
    /// directory is never replaced (ACCESS_DENIED, as memfs answers, 3.8); a new spelling of the same
    /// name (case only) is a rename, not a collision.
    /// </summary>
    private int Rename(nint context, string? fileName, string? newFileName, bool replaceIfExists)
    {
        if (!TryHandle(context, out var handle))
        {
            return NtStatus.InvalidHandle;
        }
        if (fileName == null || newFileName == null)
        {
            return NtStatus.InvalidParameter;
        }
        int status = ResolveParent(fileName, out var from, out _, out string name);
        if (status != NtStatus.Success)
        {
            return status;
        }
        status = ResolveParent(newFileName, out var to, out string toPath, out string newName);
        if (status != NtStatus.Success)
        {
            return status;
        }
        var flags = RenameFlags.NoReplace;
        if (_fs.Lookup(to.Ino, newName, out var target) == FsError.Ok)
        {
            if (target.Ino == handle.Ino)
            {
                flags = RenameFlags.None;
            }
            else if (!replaceIfExists)
            {
                return NtStatus.ObjectNameCollision;
            }
            else if (target.IsDirectory)
            {
                return NtStatus.AccessDenied;
            }
            else
            {
                flags = RenameFlags.None;
            }
        }
        var e = _fs.Rename(from.Ino, name, to.Ino, newName, flags);
        if (e != FsError.Ok)
        {
            return e == FsError.Exists ? NtStatus.ObjectNameCollision : e.ToNtStatus();
        }
        lock (_nodesLock)
        {
            // The FSD guarantees no descendant of a renamed directory is open (3.8): only this node moves.
            handle.Node.Path = WindowsPaths.Join(toPath, newName);
        }
        return NtStatus.Success;
    }
}
