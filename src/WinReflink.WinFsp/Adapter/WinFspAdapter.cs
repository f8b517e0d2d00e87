using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using WinReflink.Core;
using WinReflink.Core.Errors;
using WinReflink.WinFsp.Hosting;
using WinReflink.WinFsp.Interop;
using FileInfo = WinReflink.WinFsp.Interop.FileInfo;

namespace WinReflink.WinFsp.Adapter;

/// <summary>
/// The file system WinFsp calls: the interface table's callbacks (split by concern over the partial
/// files), translating each into engine calls. Every callback is an UnmanagedCallersOnly thunk that
/// finds this object through FSP_FILE_SYSTEM.UserContext (winfsp.md 2.6), catches everything, and
/// answers an unexpected exception with STATUS_UNEXPECTED_IO_ERROR (3.1); Cleanup and Close never fail.
/// </summary>
internal sealed unsafe partial class WinFspAdapter
{
    /// <summary>Attribute bits a caller may set; Directory and Normal are derived, the rest are not ours.</summary>
    private const uint SettableAttributes = 0x1 | 0x2 | 0x4 | 0x20 | 0x100 | 0x1000 | 0x2000;
    private const uint RegularMode = PosixMode.Regular | 0x1A4;
    private const uint DirectoryMode = PosixMode.Directory | 0x1ED;

    private readonly FileSystem _fs;
    private readonly WinFspApi _api;
    private readonly WinFspMountOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<nint, FileHandle> _handles = new();
    private readonly Dictionary<long, FileNode> _nodes = new();
    private readonly Lock _nodesLock = new();
    private long _nextHandle;

    public WinFspAdapter(FileSystem fs, WinFspApi api, WinFspMountOptions options, ILogger logger)
    {
        _fs = fs;
        _api = api;
        _options = options;
        _logger = logger;
        AllocationUnit = fs.BlockSize;
    }

    /// <summary>One volume block: the unit AllocationSize is a multiple of (winfsp.md 3.8).</summary>
    public int AllocationUnit { get; }

    /// <summary>The DLL's FSP_FILE_SYSTEM, for the exports that take it (Notify); set once created.</summary>
    public nint NativeFileSystem { get; set; }

    /// <summary>Raised on a dispatcher thread when WinFsp stops the dispatcher (DispatcherStopped).</summary>
    public event Action<bool>? Stopped;

    /// <summary>Open handles, for tests and the unmount report.</summary>
    public int OpenHandleCount => _handles.Count;

    private static WinFspAdapter From(nint fileSystem)
    {
        nint context = *(nint*)(fileSystem + FileSystemLayout.UserContextOffset);
        return GCHandle.FromIntPtr(context).Target as WinFspAdapter
            ?? throw new InvalidOperationException("FSP_FILE_SYSTEM.UserContext does not hold the WinReflink adapter");
    }

    private static int Unexpected(WinFspAdapter? adapter, Exception e, string operation)
    {
        try
        {
            // Not reported to the engine as a fault: the engine guards its own changes (an exception there
            // already stops the volume), so one here came from the adapter or the request, and the mount goes on.
            adapter?._logger.LogError(e, "WinFsp {Operation} failed unexpectedly", operation);
        }
        catch (Exception)
        {
            // Nothing may escape a native callback (winfsp.md 1.2), not even a failing logger.
        }
        return NtStatus.UnexpectedIoError;
    }

    private bool TryHandle(nint context, out FileHandle handle) => _handles.TryGetValue(context, out handle!);

    private nint AddHandle(long ino, string path, bool isDirectory, uint grantedAccess)
    {
        FileNode node;
        lock (_nodesLock)
        {
            if (!_nodes.TryGetValue(ino, out node!))
            {
                node = new FileNode(ino, path);
                _nodes.Add(ino, node);
            }
            node.Path = path;
            node.Handles++;
        }
        nint id = (nint)Interlocked.Increment(ref _nextHandle);
        _handles[id] = new FileHandle(node, isDirectory, grantedAccess);
        return id;
    }

    private FileHandle? RemoveHandle(nint context)
    {
        if (!_handles.TryRemove(context, out var handle))
        {
            return null;
        }
        lock (_nodesLock)
        {
            if (--handle.Node.Handles == 0)
            {
                _nodes.Remove(handle.Ino);
            }
        }
        return handle;
    }

    private void Fill(in InodeAttributes a, FileInfo* info)
    {
        uint attributes = (uint)a.WindowsAttributes & SettableAttributes;
        if (a.IsDirectory)
        {
            attributes |= FileAttributeBits.Directory;
        }
        if (attributes == 0)
        {
            attributes = FileAttributeBits.Normal;
        }
        long unit = AllocationUnit;
        long size = a.IsDirectory ? 0 : a.Size;
        long allocated = a.IsDirectory ? 0 : Math.Max(RoundUp(size, unit), RoundUp(a.AllocatedBytes, unit));
        *info = new FileInfo
        {
            FileAttributes = attributes,
            AllocationSize = (ulong)allocated,
            FileSize = (ulong)size,
            CreationTime = FileTimes.ToFileTime(a.BirthTime),
            LastAccessTime = FileTimes.ToFileTime(a.AccessTime),
            LastWriteTime = FileTimes.ToFileTime(a.ModifyTime),
            ChangeTime = FileTimes.ToFileTime(a.ChangeTime),
            IndexNumber = (ulong)a.Ino,
        };
    }

    private int FillFromInode(long ino, FileInfo* info)
    {
        var e = _fs.GetAttributes(ino, out var a);
        if (e == FsError.Ok)
        {
            Fill(a, info);
        }
        return e.ToNtStatus();
    }

    private static long RoundUp(long value, long unit) => (value + unit - 1) / unit * unit;

    private static string? Text(char* s) => s == null ? null : new string(s);
}
