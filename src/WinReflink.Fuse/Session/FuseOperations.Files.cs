using WinReflink.Core;
using WinReflink.Core.Errors;
using WinReflink.Fuse.Interop;

namespace WinReflink.Fuse.Session;

internal sealed unsafe partial class FuseOperations
{
    private const int OTrunc = 0x200;
    private const int OExcl = 0x80;
    private const int OAppend = 0x400;
    private const int OAccessMode = 3;

    /// <summary>
    /// Whether a change by this caller clears set-ID bits (Linux's file_remove_privs): every caller but
    /// root, whether or not the kernel flagged the request (it does not on every path: O_DIRECT writes,
    /// fallocate).
    /// </summary>
    private static bool KillsSetId(in FuseRequest r, bool kernelSaysKill) => kernelSaysKill || r.Header->Uid != 0;

    /// <summary>
    /// File data bypasses the kernel page cache (FOPEN_DIRECT_IO) so the ExtentCache, shared by clones,
    /// is the only copy in memory; --kernel-cache keeps the page cache instead.
    /// </summary>
    private uint DataOpenFlags => _options.KernelCache ? FuseOpenFlags.KeepCache : FuseOpenFlags.DirectIo | FuseOpenFlags.ParallelDirectWrites;

    private void Open(in FuseRequest r, ReplyWriter reply)
    {
        var o = r.Arg<FuseOpenIn>();
        var e = OpenExisting(r.NodeId, (int)o.Flags, KillsSetId(r, (o.OpenFlags & FuseConstants.OpenKillSuidGid) != 0), out ulong fh);
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, Errno.From(e));
            return;
        }
        if (!reply.Struct(r.Unique, new FuseOpenOut { Fh = fh, OpenFlags = DataOpenFlags }))
        {
            CloseHandle(fh);
        }
    }

    private FsError OpenExisting(long ino, int flags, bool killSuid, out ulong fh)
    {
        fh = 0;
        var intent = OpenIntent.Read;
        if ((flags & OAccessMode) != LinuxNative.ORdOnly)
        {
            intent |= OpenIntent.Write;
        }
        if ((flags & OAppend) != 0)
        {
            intent |= OpenIntent.Append;
        }
        if ((flags & OTrunc) != 0)
        {
            intent |= OpenIntent.Truncate;
        }
        var e = _fs.OpenInode(ino, intent);
        if (e != FsError.Ok)
        {
            return e;
        }
        if ((flags & OTrunc) != 0)
        {
            var fields = SetAttributeFields.Size | (killSuid ? SetAttributeFields.KillSuidSgid : SetAttributeFields.None);
            e = _fs.SetAttributes(ino, new SetAttributesRequest(fields, Size: 0), out _);
            if (e != FsError.Ok && e != FsError.IsDirectory && e != FsError.InvalidArgument)
            {
                _fs.Release(ino);
                return e;
            }
        }
        fh = _handles.Add(new OpenHandle(ino, flags, Directory: false));
        return FsError.Ok;
    }

    private void Create(in FuseRequest r, ReplyWriter reply)
    {
        var c = r.Arg<FuseCreateIn>();
        string? name = r.String(sizeof(FuseCreateIn), out _);
        if (name == null)
        {
            reply.Error(r.Unique, LinuxNative.EIlSeq);
            return;
        }
        var e = _fs.Create(r.NodeId, name, Creator(r, c.Mode), out var a);
        if (e == FsError.Exists && (c.Flags & OExcl) == 0)
        {
            // Another creator won the race between the kernel's lookup and this CREATE: open what is there.
            e = _fs.Lookup(r.NodeId, name, out a);
            if (e == FsError.Ok && a.IsDirectory)
            {
                e = FsError.IsDirectory;
            }
            if (e == FsError.Ok)
            {
                e = OpenExisting(a.Ino, (int)c.Flags, KillsSetId(r, (c.OpenFlags & FuseConstants.OpenKillSuidGid) != 0), out ulong existing);
                if (e == FsError.Ok)
                {
                    _fs.GetAttributes(a.Ino, out a);
                    var entry = Entry(a);
                    if (OtherStoredSpelling(r.NodeId, name) != null)
                    {
                        entry.EntryValid = 0;
                    }
                    ReplyReferencedOpen(reply, r.Unique, entry, existing);
                    return;
                }
            }
        }
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, Errno.From(e));
            return;
        }
        if (_fs.OpenInode(a.Ino) != FsError.Ok)
        {
            reply.Error(r.Unique, LinuxNative.ENoEnt);
            return;
        }
        ulong fh = _handles.Add(new OpenHandle(a.Ino, (int)c.Flags, Directory: false));
        ReplyReferencedOpen(reply, r.Unique, Entry(a), fh);
    }

    private void Read(in FuseRequest r, ReplyWriter reply)
    {
        var rd = r.Arg<FuseReadIn>();
        int size = (int)Math.Min(rd.Size, (uint)reply.BufferLength);
        var e = _fs.Read(r.NodeId, (long)rd.Offset, new Span<byte>(reply.Buffer, size), out int n);
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, Errno.From(e));
            return;
        }
        reply.FromBuffer(r.Unique, n);
    }

    private void Write(in FuseRequest r, ReplyWriter reply)
    {
        int headerSize = _minor < 9 ? 24 : sizeof(FuseWriteIn);
        var w = r.Arg<FuseWriteIn>(headerSize);
        var data = r.Bytes(headerSize, (int)w.Size);
        bool kill = KillsSetId(r, (w.WriteFlags & FuseConstants.WriteKillSuidGid) != 0);
        var e = _fs.Write(r.NodeId, (long)w.Offset, data, out int written, kill);
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, Errno.From(e));
            return;
        }
        reply.Struct(r.Unique, new FuseWriteOut { Size = (uint)written });
    }

    private void Release(in FuseRequest r, ReplyWriter reply)
    {
        CloseHandle(r.Arg<FuseReleaseIn>().Fh);
        reply.Ok(r.Unique);
    }

    private const uint FallocKeepSize = 1;
    private const uint FallocPunchHole = 2;
    private const uint FallocZeroRange = 16;

    private void Fallocate(in FuseRequest r, ReplyWriter reply)
    {
        var f = r.Arg<FuseFallocateIn>();
        AllocateMode? mode = f.Mode switch
        {
            0 => AllocateMode.Allocate,
            FallocKeepSize => AllocateMode.KeepSize,
            FallocPunchHole | FallocKeepSize => AllocateMode.PunchHole,
            FallocZeroRange => AllocateMode.ZeroRange,
            FallocZeroRange | FallocKeepSize => AllocateMode.ZeroRangeKeepSize,
            _ => null,
        };
        if (mode == null)
        {
            reply.Error(r.Unique, LinuxNative.EOpNotSupp);
            return;
        }
        Reply(reply, r.Unique, _fs.Allocate(r.NodeId, (long)f.Offset, (long)f.Length, mode.Value, KillsSetId(r, false)));
    }

    private const uint SeekData = 3;
    private const uint SeekHole = 4;

    private void LSeek(in FuseRequest r, ReplyWriter reply)
    {
        var s = r.Arg<FuseLSeekIn>();
        if (s.Whence != SeekData && s.Whence != SeekHole)
        {
            reply.Error(r.Unique, LinuxNative.EInval);
            return;
        }
        var e = _fs.Seek(r.NodeId, (long)s.Offset, s.Whence == SeekData ? SeekWhence.Data : SeekWhence.Hole, out long result);
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, Errno.From(e));
            return;
        }
        reply.Struct(r.Unique, new FuseLSeekOut { Offset = (ulong)result });
    }

    /// <summary>
    /// copy_file_range is where `cp`, .NET File.Copy and PowerShell Copy-Item arrive after FICLONE
    /// fails on FUSE: it is a reflink here. The 32-bit reply of opcode 47 caps one request at 4 GiB.
    /// FUSE_INTERRUPT stops it between clone steps: with some bytes done the reply is that short count
    /// (valid for copy_file_range; cp asks again for the rest), with none EINTR.
    /// </summary>
    private void CopyFileRange(in FuseRequest r, ReplyWriter reply, bool wide)
    {
        var c = r.Arg<FuseCopyFileRangeIn>();
        long length = (long)Math.Min(c.Len, wide ? long.MaxValue : 0xFFFFF000UL);
        if (c.Flags != 0)
        {
            reply.Error(r.Unique, LinuxNative.EInval);
            return;
        }
        if (_handles.TryGet(c.FhIn, out var src) && !src.CanRead || _handles.TryGet(c.FhOut, out var dst) && !dst.CanWrite)
        {
            reply.Error(r.Unique, LinuxNative.EBadF);
            return;
        }
        using var interruptible = _interruptible.Register(r.Unique);
        var e = _fs.CloneRange(r.NodeId, (long)c.OffIn, (long)c.NodeIdOut, (long)c.OffOut, length, interruptible.Token, out long cloned);
        if (e == FsError.Interrupted && cloned > 0)
        {
            e = FsError.Ok;
        }
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, Errno.From(e));
            return;
        }
        if (wide)
        {
            reply.Struct(r.Unique, new FuseCopyFileRangeOut { BytesCopied = (ulong)cloned });
        }
        else
        {
            reply.Struct(r.Unique, new FuseWriteOut { Size = (uint)cloned });
        }
    }
}
