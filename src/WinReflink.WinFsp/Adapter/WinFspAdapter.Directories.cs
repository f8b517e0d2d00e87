using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using WinReflink.Core;
using WinReflink.Core.Errors;
using WinReflink.Core.Namespace;
using WinReflink.WinFsp.Interop;

namespace WinReflink.WinFsp.Adapter;

/// <summary>ReadDirectory and GetDirInfoByName (winfsp.md 3.5).</summary>
internal sealed unsafe partial class WinFspAdapter
{
    private const int MaxDirInfoBytes = DirInfo.HeaderSize + NameRules.MaxNameLength * 2 * sizeof(char);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnReadDirectory(nint fs, nint fileContext, char* pattern, char* marker, void* buffer, uint length, uint* bytesTransferred)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            return a.ReadDirectory(fileContext, Text(marker), buffer, length, bytesTransferred);
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "ReadDirectory");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnGetDirInfoByName(nint fs, nint parentContext, char* fileName, DirInfo* dirInfo)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            return a.GetDirInfoByName(parentContext, Text(fileName), dirInfo);
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "GetDirInfoByName");
        }
    }

    /// <summary>
    /// Entries strictly after Marker in the snapshot's stable order ("." and ".." first, for directories
    /// other than the root), added until the buffer is full; the end marker only once the listing is
    /// exhausted. The pattern is ignored: the FSD filters again (3.5).
    /// </summary>
    private int ReadDirectory(nint context, string? marker, void* buffer, uint length, uint* bytesTransferred)
    {
        if (!TryHandle(context, out var handle))
        {
            return NtStatus.InvalidHandle;
        }
        *bytesTransferred = 0;
        if (!handle.IsDirectory)
        {
            return NtStatus.NotADirectory;
        }
        if (marker == null || handle.Listing == null)
        {
            var e = Snapshot(handle.Ino, out var snapshot);
            if (e != FsError.Ok)
            {
                return e.ToNtStatus();
            }
            handle.Listing = snapshot;
        }
        var listing = handle.Listing;
        bool dots = handle.Ino != FileSystem.RootIno;
        byte* record = stackalloc byte[MaxDirInfoBytes];
        if (dots && marker == null)
        {
            if (!AddDot(handle.Ino, ".", ".", record, buffer, length, bytesTransferred))
            {
                return NtStatus.Success;
            }
        }
        if (dots && marker is null or ".")
        {
            if (!AddDot(handle.Ino, "..", "..", record, buffer, length, bytesTransferred))
            {
                return NtStatus.Success;
            }
        }
        int start = marker is null or "." or ".." ? 0 : listing.After(marker);
        for (int i = start; i < listing.Entries.Count; i++)
        {
            var entry = listing.Entries[i];
            if (_fs.GetAttributes(entry.Ino, out var a) != FsError.Ok)
            {
                continue; // removed since the snapshot
            }
            BuildDirInfo(a, entry.Name, (DirInfo*)record);
            if (_api.AddDirInfo((DirInfo*)record, buffer, length, bytesTransferred) == 0)
            {
                return NtStatus.Success;
            }
        }
        _api.AddDirInfo(null, buffer, length, bytesTransferred);
        return NtStatus.Success;
    }

    private bool AddDot(long dir, string lookup, string name, byte* record, void* buffer, uint length, uint* bytesTransferred)
    {
        if (_fs.Lookup(dir, lookup, out var a) != FsError.Ok)
        {
            return true;
        }
        BuildDirInfo(a, name, (DirInfo*)record);
        return _api.AddDirInfo((DirInfo*)record, buffer, length, bytesTransferred) != 0;
    }

    private FsError Snapshot(long ino, out DirectorySnapshot snapshot)
    {
        var entries = new List<DirectorySnapshot.Entry>();
        bool caseSensitive = _fs.CaseSensitive;
        var e = _fs.ReadDirectory(ino, 0, d =>
        {
            entries.Add(new DirectorySnapshot.Entry(NameRules.Key(d.Name, caseSensitive), d.Name, d.Ino));
            return true;
        });
        entries.Sort((x, y) => string.CompareOrdinal(x.Key, y.Key));
        snapshot = new DirectorySnapshot(entries, caseSensitive);
        return e;
    }

    private void BuildDirInfo(in InodeAttributes a, string name, DirInfo* info)
    {
        int chars = Math.Min(name.Length, (MaxDirInfoBytes - DirInfo.HeaderSize) / sizeof(char));
        *info = default;
        info->Size = (ushort)(DirInfo.HeaderSize + chars * sizeof(char));
        Fill(a, &info->FileInfo);
        name.AsSpan(0, chars).CopyTo(new Span<char>((byte*)info + DirInfo.HeaderSize, chars));
    }

    /// <summary>The entry for a plain name (PassQueryDirectoryFileName), with its stored spelling; not found is an empty listing.</summary>
    private int GetDirInfoByName(nint parentContext, string? fileName, DirInfo* dirInfo)
    {
        if (!TryHandle(parentContext, out var handle))
        {
            return NtStatus.InvalidHandle;
        }
        if (fileName == null || NameRules.ValidateForWindows(fileName) != FsError.Ok)
        {
            return NtStatus.ObjectNameNotFound;
        }
        var e = _fs.Lookup(handle.Ino, fileName, out var a);
        if (e == FsError.Ok)
        {
            e = _fs.EntryName(handle.Ino, fileName, out string stored);
            if (e == FsError.Ok)
            {
                BuildDirInfo(a, stored, dirInfo);
            }
        }
        return e.ToNtStatus();
    }
}
