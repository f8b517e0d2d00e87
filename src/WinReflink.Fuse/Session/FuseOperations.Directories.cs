using System.Text;
using WinReflink.Core;
using WinReflink.Core.Errors;
using WinReflink.Fuse.Interop;

namespace WinReflink.Fuse.Session;

internal sealed unsafe partial class FuseOperations
{
    private void OpenDir(in FuseRequest r, ReplyWriter reply)
    {
        var e = _fs.GetAttributes(r.NodeId, out var a);
        if (e == FsError.Ok && !a.IsDirectory)
        {
            e = FsError.NotDirectory;
        }
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, Errno.From(e));
            return;
        }
        var o = r.Arg<FuseOpenIn>();
        // Counted as open, so a removed directory stays listable (empty) until its last close.
        e = _fs.OpenInode(r.NodeId);
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, Errno.From(e));
            return;
        }
        ulong fh = _handles.Add(new OpenHandle(r.NodeId, (int)o.Flags, Directory: true));
        if (!reply.Struct(r.Unique, new FuseOpenOut { Fh = fh }))
        {
            CloseHandle(fh);
        }
    }

    private void ReleaseDir(in FuseRequest r, ReplyWriter reply)
    {
        CloseHandle(r.Arg<FuseReleaseIn>().Fh);
        reply.Ok(r.Unique);
    }

    /// <summary>
    /// Offsets: 1 and 2 follow "." and ".."; an entry with engine cookie c has offset c + 2, so a
    /// listing resumed at any offset continues after the last entry the kernel took.
    /// </summary>
    private void ReadDir(in FuseRequest r, ReplyWriter reply, bool plus)
    {
        var rd = r.Arg<FuseReadIn>();
        int capacity = (int)Math.Min(rd.Size, (uint)reply.BufferLength);
        long offset = (long)rd.Offset;
        var e = _fs.GetAttributes(r.NodeId, out var self);
        if (e == FsError.Ok && !self.IsDirectory)
        {
            e = FsError.NotDirectory;
        }
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, Errno.From(e));
            return;
        }
        byte* buffer = reply.Buffer;
        int used = 0;
        bool full = false;
        if (offset < 1)
        {
            full = !AddDirent(buffer, capacity, ref used, ".", self.Ino, self.Mode, 1, plus ? null : default(InodeAttributes?), plus);
        }
        if (!full && offset < 2)
        {
            // A removed directory's parent may be gone as well; ".." then names the directory itself.
            var parent = _fs.Lookup(r.NodeId, "..", out var p) == FsError.Ok ? p : self;
            full = !AddDirent(buffer, capacity, ref used, "..", parent.Ino, parent.Mode, 2, null, plus);
        }
        // READDIRPLUS entries with a node id are lookups the kernel counts: each takes a reference.
        var referenced = new List<long>();
        if (!full)
        {
            long cookie = Math.Max(0, offset - 2);
            long end = ListingEnd(r.NodeId, rd.Fh, offset);
            // A plain READDIR needs names, numbers and types, which the entries keep: no inode loads.
            Func<DirectoryEntry, bool> add = entry =>
            {
                InodeAttributes? attrs = null;
                if (plus && _fs.Reference(entry.Ino, out var a) == FsError.Ok)
                {
                    attrs = a;
                }
                bool added = AddDirent(buffer, capacity, ref used, entry.Name, entry.Ino, entry.Mode, entry.Cookie + 2, attrs, plus);
                if (attrs != null)
                {
                    if (added)
                    {
                        referenced.Add(entry.Ino);
                    }
                    else
                    {
                        _fs.Unreference(entry.Ino, 1);
                    }
                }
                return added;
            };
            if (plus)
            {
                _fs.ReadDirectory(r.NodeId, cookie, add, end);
            }
            else
            {
                _fs.ReadDirectoryNames(r.NodeId, cookie, add, end);
            }
        }
        if (!reply.FromBuffer(r.Unique, used))
        {
            foreach (long ino in referenced)
            {
                _fs.Unreference(ino, 1);
            }
        }
    }

    /// <summary>
    /// Where the handle's listing ends: taken when it starts (offset 0, which rewinddir also sends) or at
    /// its first READDIR, so entries renamed while it runs (new cookies) do not come back and it ends.
    /// </summary>
    private long ListingEnd(long dir, ulong fh, long offset)
    {
        if (!_handles.TryGet(fh, out var handle) || !handle.Directory)
        {
            return long.MaxValue;
        }
        if (offset == 0 || handle.ListingEnd == 0)
        {
            handle.ListingEnd = _fs.DirectoryListingEnd(dir, out long end) == FsError.Ok ? end : long.MaxValue;
        }
        return handle.ListingEnd;
    }

    private bool AddDirent(byte* buffer, int capacity, ref int used, string name, long ino, uint mode, long nextOffset, InodeAttributes? attrs, bool plus)
    {
        int nameLen = Encoding.UTF8.GetByteCount(name);
        int direntSize = (sizeof(FuseDirent) + nameLen + 7) & ~7;
        int size = (plus ? sizeof(FuseEntryOut) : 0) + direntSize;
        if (used + size > capacity)
        {
            return false;
        }
        byte* p = buffer + used;
        new Span<byte>(p, size).Clear();
        if (plus)
        {
            // "." and ".." and entries whose attributes went away carry node id 0: the kernel makes no dentry for them.
            *(FuseEntryOut*)p = attrs is { } a ? Entry(a) : default;
            p += sizeof(FuseEntryOut);
        }
        var d = (FuseDirent*)p;
        d->Ino = (ulong)ino;
        d->Off = (ulong)nextOffset;
        d->NameLen = (uint)nameLen;
        d->Type = (mode & PosixMode.TypeMask) >> 12;
        Encoding.UTF8.GetBytes(name, new Span<byte>(p + sizeof(FuseDirent), nameLen));
        used += size;
        return true;
    }
}
