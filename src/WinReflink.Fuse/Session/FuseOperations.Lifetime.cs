using Microsoft.Extensions.Logging;
using WinReflink.Core;
using WinReflink.Core.Errors;
using WinReflink.Fuse.Interop;

namespace WinReflink.Fuse.Session;

/// <summary>
/// The kernel's references, kept as go-fuse keeps them: every reply that hands the kernel an entry
/// (LOOKUP, CREATE, MKDIR, MKNOD, SYMLINK, LINK, TMPFILE, each READDIRPLUS entry with a node id) takes
/// one engine reference on the inode, and FORGET / BATCH_FORGET give back nlookup of them. The engine
/// keeps an inode whose last name went while the kernel still holds it (a working directory, an
/// O_PATH descriptor) or while it is open (OPENDIR counts as open), and reclaims it when both end.
/// A reply the kernel did not take gives its reference back. The root is never forgotten.
/// </summary>
internal sealed unsafe partial class FuseOperations
{
    private int _sessionEnded;

    /// <summary>Answers with an entry the kernel will count: takes its reference first, gives it back if the reply fails.</summary>
    private void ReplyReferenced(ReplyWriter reply, ulong unique, FuseEntryOut entry)
    {
        long ino = (long)entry.NodeId;
        if (_fs.Reference(ino, out _) != FsError.Ok)
        {
            // Removed between the operation and now: the kernel must not get a node that is gone.
            reply.Error(unique, LinuxNative.ENoEnt);
            return;
        }
        if (!reply.Struct(unique, entry))
        {
            _fs.Unreference(ino, 1);
        }
    }

    /// <summary>An entry and an open handle in one reply (CREATE, TMPFILE): both are taken back if the kernel does not take the reply.</summary>
    private void ReplyReferencedOpen(ReplyWriter reply, ulong unique, FuseEntryOut entry, ulong fh)
    {
        long ino = (long)entry.NodeId;
        if (_fs.Reference(ino, out _) != FsError.Ok)
        {
            CloseHandle(fh);
            reply.Error(unique, LinuxNative.ENoEnt);
            return;
        }
        if (!reply.Struct(unique, entry, new FuseOpenOut { Fh = fh, OpenFlags = DataOpenFlags }))
        {
            CloseHandle(fh);
            _fs.Unreference(ino, 1);
        }
    }

    private void CloseHandle(ulong fh)
    {
        if (_handles.TryRemove(fh, out var h))
        {
            _fs.Release(h.Ino);
        }
    }

    private void Forget(in FuseRequest r)
    {
        _fs.Unreference(r.NodeId, (long)Math.Min(r.Arg<FuseForgetIn>().NLookup, long.MaxValue));
    }

    private void BatchForget(in FuseRequest r)
    {
        uint count = r.Arg<FuseBatchForgetIn>().Count;
        long room = (r.BodyLength - sizeof(FuseBatchForgetIn)) / sizeof(FuseForgetOne);
        if (count > room)
        {
            // Forget what is there; the rest is not in the body to read.
            _logger.LogWarning("Malformed FUSE BATCH_FORGET {Unique}: {Count} entries announced, room for {Room}", r.Unique, count, room);
            count = (uint)room;
        }
        var items = (FuseForgetOne*)(r.Body + sizeof(FuseBatchForgetIn));
        for (int i = 0; i < count; i++)
        {
            _fs.Unreference((long)items[i].NodeId, (long)Math.Min(items[i].NLookup, long.MaxValue));
        }
    }

    /// <summary>
    /// O_TMPFILE: a file without a name, an orphan from birth, open once; `linkat` through
    /// /proc/self/fd gives it one (LINK), and without that it is reclaimed at its last close.
    /// </summary>
    private void TmpFile(in FuseRequest r, ReplyWriter reply)
    {
        // The placeholder name the kernel sends after the struct ("/") is not used: the file gets none.
        var c = r.Arg<FuseCreateIn>();
        var e = _fs.CreateTemporary(r.NodeId, Creator(r, c.Mode), out var a);
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, Errno.From(e));
            return;
        }
        ulong fh = _handles.Add(new OpenHandle(a.Ino, (int)c.Flags, Directory: false));
        ReplyReferencedOpen(reply, r.Unique, Entry(a), fh);
    }

    /// <summary>
    /// The connection is over (DESTROY, or the device went away at unmount): no FORGET or RELEASE will
    /// come, so every kernel reference and open handle goes, and orphans nothing else holds are reclaimed.
    /// </summary>
    public void EndSession()
    {
        if (Interlocked.Exchange(ref _sessionEnded, 1) == 1)
        {
            return;
        }
        foreach (ulong fh in _handles.Handles)
        {
            CloseHandle(fh);
        }
        _fs.UnreferenceAll();
    }
}
