using System.Text;
using WinReflink.Core;
using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;
using WinReflink.WinFsp.Interop;

namespace WinReflink.WinFsp.Adapter;

internal sealed unsafe partial class WinFspAdapter
{
    /// <summary>
    /// Walks a full Windows path with the volume's own (case-insensitive) lookups, and builds the stored
    /// spelling of every component: the normalized name Create and Open return (winfsp.md 3.6). A missing
    /// last component is OBJECT_NAME_NOT_FOUND, a missing earlier one OBJECT_PATH_NOT_FOUND, a file where
    /// a directory should be NOT_A_DIRECTORY (3.3).
    /// </summary>
    private int Resolve(string path, out InodeAttributes attributes, out string normalized)
    {
        normalized = "\\";
        var e = _fs.GetAttributes(FileSystem.RootIno, out attributes);
        if (e != FsError.Ok)
        {
            return e.ToNtStatus();
        }
        string[] parts = WindowsPaths.Components(path);
        var built = new StringBuilder();
        for (int i = 0; i < parts.Length; i++)
        {
            if (NameRules.ValidateForWindows(parts[i]) != FsError.Ok)
            {
                return NtStatus.ObjectNameInvalid;
            }
            if (!attributes.IsDirectory)
            {
                return NtStatus.NotADirectory;
            }
            long parent = attributes.Ino;
            e = _fs.Lookup(parent, parts[i], out attributes);
            if (e == FsError.NotFound)
            {
                return i == parts.Length - 1 ? NtStatus.ObjectNameNotFound : NtStatus.ObjectPathNotFound;
            }
            if (e == FsError.Ok)
            {
                e = _fs.EntryName(parent, parts[i], out string stored);
                built.Append('\\').Append(stored);
            }
            if (e != FsError.Ok)
            {
                return e == FsError.NotFound ? NtStatus.ObjectPathNotFound : e.ToNtStatus();
            }
        }
        if (built.Length > 0)
        {
            normalized = built.ToString();
        }
        return NtStatus.Success;
    }

    /// <summary>Resolves the directory a new or removed name lives in; a missing one is OBJECT_PATH_NOT_FOUND.</summary>
    private int ResolveParent(string path, out InodeAttributes parent, out string parentPath, out string leaf)
    {
        parent = default;
        parentPath = "";
        if (!WindowsPaths.TrySplit(path, out string parentName, out leaf))
        {
            return NtStatus.ObjectNameInvalid;
        }
        int status = Resolve(parentName, out parent, out parentPath);
        if (status == NtStatus.ObjectNameNotFound)
        {
            return NtStatus.ObjectPathNotFound;
        }
        if (status == NtStatus.Success && !parent.IsDirectory)
        {
            return NtStatus.NotADirectory;
        }
        if (status == NtStatus.Success && NameRules.ValidateForWindows(leaf) != FsError.Ok)
        {
            return NtStatus.ObjectNameInvalid;
        }
        return status;
    }

    /// <summary>Writes the normalized name into the buffer the DLL gave; left untouched when it does not fit (winfsp.md 2.4).</summary>
    private static void SetNormalizedName(OpenFileInfo* info, string normalized)
    {
        int bytes = normalized.Length * sizeof(char);
        if (info->NormalizedName == null || bytes > info->NormalizedNameSize)
        {
            return;
        }
        normalized.AsSpan().CopyTo(new Span<char>(info->NormalizedName, normalized.Length));
        info->NormalizedNameSize = (ushort)bytes;
    }
}
