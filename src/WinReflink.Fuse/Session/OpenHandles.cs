using System.Collections.Concurrent;

namespace WinReflink.Fuse.Session;

/// <summary>An open file or directory as the kernel knows it: the fh in its requests.</summary>
internal sealed record OpenHandle(long Ino, int Flags, bool Directory)
{
    private const int AccessModeMask = 3;
    private const int WriteOnly = 1;
    private const int ReadWrite = 2;

    /// <summary>For a directory: the engine cookie its current listing ends before (0 until a listing starts).</summary>
    public long ListingEnd { get; set; }

    public bool CanRead => (Flags & AccessModeMask) != WriteOnly;
    public bool CanWrite => (Flags & AccessModeMask) is WriteOnly or ReadWrite;
}

internal sealed class OpenHandles
{
    private readonly ConcurrentDictionary<ulong, OpenHandle> _handles = new();
    private long _next;

    public ulong Add(OpenHandle handle)
    {
        ulong fh = (ulong)Interlocked.Increment(ref _next);
        _handles[fh] = handle;
        return fh;
    }

    public bool TryGet(ulong fh, out OpenHandle handle) => _handles.TryGetValue(fh, out handle!);

    public bool TryRemove(ulong fh, out OpenHandle handle) => _handles.TryRemove(fh, out handle!);

    public IEnumerable<ulong> Handles => _handles.Keys;
}
