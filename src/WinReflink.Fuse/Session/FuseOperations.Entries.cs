using WinReflink.Core;
using WinReflink.Core.Errors;
using WinReflink.Fuse.Interop;

namespace WinReflink.Fuse.Session;

internal sealed unsafe partial class FuseOperations
{
    private void Lookup(in FuseRequest r, ReplyWriter reply)
    {
        string? name = r.String(0, out _);
        if (name == null)
        {
            reply.Error(r.Unique, LinuxNative.ENoEnt);
            return;
        }
        var e = _fs.Lookup(r.NodeId, name, out var a);
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, Errno.From(e));
            return;
        }
        var entry = Entry(a);
        if (OtherStoredSpelling(r.NodeId, name) != null)
        {
            entry.EntryValid = 0;
        }
        ReplyReferenced(reply, r.Unique, entry);
    }

    private void GetAttr(in FuseRequest r, ReplyWriter reply)
    {
        var e = _fs.GetAttributes(r.NodeId, out var a);
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, Errno.From(e));
            return;
        }
        reply.Struct(r.Unique, AttrOut(a));
    }

    private void SetAttr(in FuseRequest r, ReplyWriter reply)
    {
        var s = r.Arg<FuseSetAttrIn>();
        var fields = SetAttributeFields.None;
        if ((s.Valid & FuseSetAttrValid.Mode) != 0)
        {
            fields |= SetAttributeFields.Mode;
        }
        if ((s.Valid & FuseSetAttrValid.Uid) != 0)
        {
            fields |= SetAttributeFields.Uid;
        }
        if ((s.Valid & FuseSetAttrValid.Gid) != 0)
        {
            fields |= SetAttributeFields.Gid;
        }
        if ((s.Valid & FuseSetAttrValid.Size) != 0)
        {
            fields |= SetAttributeFields.Size;
        }
        if ((s.Valid & FuseSetAttrValid.ATimeNow) != 0)
        {
            fields |= SetAttributeFields.AccessTimeNow;
        }
        else if ((s.Valid & FuseSetAttrValid.ATime) != 0)
        {
            fields |= SetAttributeFields.AccessTime;
        }
        if ((s.Valid & FuseSetAttrValid.MTimeNow) != 0)
        {
            fields |= SetAttributeFields.ModifyTimeNow;
        }
        else if ((s.Valid & FuseSetAttrValid.MTime) != 0)
        {
            fields |= SetAttributeFields.ModifyTime;
        }
        if ((s.Valid & FuseSetAttrValid.CTime) != 0)
        {
            fields |= SetAttributeFields.ChangeTime;
        }
        // With HANDLE_KILLPRIV_V2 the filesystem clears set-ID bits: on truncate by a non-root caller
        // (whether or not the kernel says so) and on every chown of a non-directory, as Linux does for root too.
        if ((s.Valid & FuseSetAttrValid.KillSuidGid) != 0 || (s.Valid & (FuseSetAttrValid.Uid | FuseSetAttrValid.Gid)) != 0
            || ((s.Valid & FuseSetAttrValid.Size) != 0 && KillsSetId(r, false)))
        {
            fields |= SetAttributeFields.KillSuidSgid;
        }
        var request = new SetAttributesRequest(fields, s.Mode, s.Uid, s.Gid, (long)s.Size,
            AttributeConversion.ToTicks(s.ATime, s.ATimeNsec), AttributeConversion.ToTicks(s.MTime, s.MTimeNsec),
            AttributeConversion.ToTicks(s.CTime, s.CTimeNsec));
        var e = _fs.SetAttributes(r.NodeId, request, out var a);
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, Errno.From(e));
            return;
        }
        reply.Struct(r.Unique, AttrOut(a));
    }

    private void ReadLink(in FuseRequest r, ReplyWriter reply)
    {
        var e = _fs.ReadLink(r.NodeId, out string target);
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, Errno.From(e));
            return;
        }
        reply.Bytes(r.Unique, System.Text.Encoding.UTF8.GetBytes(target));
    }

    private CreateRequest Creator(in FuseRequest r, uint mode, uint rdev = 0) => new(mode, r.Header->Uid, r.Header->Gid, Rdev: rdev);

    private void Symlink(in FuseRequest r, ReplyWriter reply)
    {
        string? name = r.String(0, out int next);
        string? target = r.String(next, out _);
        if (name == null || target == null)
        {
            reply.Error(r.Unique, LinuxNative.EIlSeq);
            return;
        }
        var e = _fs.Symlink(r.NodeId, name, target, Creator(r, 0), out var a);
        ReplyEntry(reply, r.Unique, e, a);
    }

    private void MkNod(in FuseRequest r, ReplyWriter reply)
    {
        var m = r.Arg<FuseMkNodIn>();
        string? name = r.String(sizeof(FuseMkNodIn), out _);
        if (name == null)
        {
            reply.Error(r.Unique, LinuxNative.EIlSeq);
            return;
        }
        var e = _fs.Create(r.NodeId, name, Creator(r, m.Mode, m.Rdev), out var a);
        ReplyEntry(reply, r.Unique, e, a);
    }

    private void MkDir(in FuseRequest r, ReplyWriter reply)
    {
        var m = r.Arg<FuseMkDirIn>();
        string? name = r.String(sizeof(FuseMkDirIn), out _);
        if (name == null)
        {
            reply.Error(r.Unique, LinuxNative.EIlSeq);
            return;
        }
        var e = _fs.Mkdir(r.NodeId, name, Creator(r, m.Mode), out var a);
        ReplyEntry(reply, r.Unique, e, a);
    }

    private void Remove(in FuseRequest r, ReplyWriter reply, bool directory)
    {
        string? name = r.String(0, out _);
        if (name == null)
        {
            reply.Error(r.Unique, LinuxNative.ENoEnt);
            return;
        }
        string? stored = OtherStoredSpelling(r.NodeId, name);
        var e = directory ? _fs.Rmdir(r.NodeId, name) : _fs.Unlink(r.NodeId, name);
        if (e == FsError.Ok && stored != null)
        {
            ForgetSpellings(reply, [(r.NodeId, stored)]);
        }
        Reply(reply, r.Unique, e);
    }

    private const uint RenameNoReplace = 1;
    private const uint RenameExchange = 2;
    private const uint RenameWhiteout = 4;

    private void Rename(in FuseRequest r, ReplyWriter reply, bool two)
    {
        long newDir;
        uint flags = 0;
        int offset;
        if (two)
        {
            var a = r.Arg<FuseRename2In>();
            newDir = (long)a.NewDir;
            flags = a.Flags;
            offset = sizeof(FuseRename2In);
        }
        else
        {
            newDir = (long)r.Arg<FuseRenameIn>().NewDir;
            offset = sizeof(FuseRenameIn);
        }
        if ((flags & ~(RenameNoReplace | RenameExchange | RenameWhiteout)) != 0)
        {
            reply.Error(r.Unique, LinuxNative.EInval);
            return;
        }
        string? oldName = r.String(offset, out int next);
        string? newName = r.String(next, out _);
        if (oldName == null)
        {
            reply.Error(r.Unique, LinuxNative.ENoEnt);
            return;
        }
        if (newName == null)
        {
            reply.Error(r.Unique, LinuxNative.EIlSeq);
            return;
        }
        var rf = RenameFlags.None;
        if ((flags & RenameNoReplace) != 0)
        {
            rf |= RenameFlags.NoReplace;
        }
        if ((flags & RenameExchange) != 0)
        {
            rf |= RenameFlags.Exchange;
        }
        if ((flags & RenameWhiteout) != 0)
        {
            rf |= RenameFlags.Whiteout;
        }
        var spellings = new List<(long, string)>(2);
        if (OtherStoredSpelling(r.NodeId, oldName) is { } storedOld)
        {
            spellings.Add((r.NodeId, storedOld));
        }
        if (OtherStoredSpelling(newDir, newName) is { } storedNew)
        {
            spellings.Add((newDir, storedNew));
        }
        // A whiteout belongs to the caller, as a node made by mknod would.
        var e = _fs.Rename(r.NodeId, oldName, newDir, newName, rf, Creator(r, 0));
        if (e == FsError.Ok)
        {
            ForgetSpellings(reply, spellings);
        }
        Reply(reply, r.Unique, e);
    }

    private void Link(in FuseRequest r, ReplyWriter reply)
    {
        var l = r.Arg<FuseLinkIn>();
        string? name = r.String(sizeof(FuseLinkIn), out _);
        if (name == null)
        {
            reply.Error(r.Unique, LinuxNative.EIlSeq);
            return;
        }
        var e = _fs.Link((long)l.OldNodeId, r.NodeId, name, out var a);
        ReplyEntry(reply, r.Unique, e, a);
    }

    private void StatFs(in FuseRequest r, ReplyWriter reply)
    {
        var s = _fs.StatFs();
        var o = new FuseKStatFs
        {
            Blocks = (ulong)s.TotalBlocks,
            BFree = (ulong)s.FreeBlocks,
            BAvail = (ulong)s.FreeBlocks,
            Files = (ulong)(s.Files + s.FreeFiles),
            FFree = (ulong)s.FreeFiles,
            BSize = (uint)s.BlockSize,
            NameLen = (uint)s.MaxNameLength,
            FrSize = (uint)s.BlockSize,
        };
        reply.Struct(r.Unique, o);
    }
}
