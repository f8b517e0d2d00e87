using System.Runtime.InteropServices;
using WinReflink.Core;
using WinReflink.Core.Errors;
using WinReflink.Fuse.Interop;

namespace WinReflink.Fuse.Session;

/// <summary>
/// chattr flags over FUSE ioctl. lsattr and chattr call FS_IOC_GETFLAGS / FS_IOC_SETFLAGS; the kernel
/// turns them into its fileattr calls and sends them on as FUSE_IOCTL from its own code
/// (fuse_priv_ioctl), together with FS_IOC_FSGETXATTR, which it asks first to learn the old flags.
/// The GETFLAGS/SETFLAGS numbers declare a long argument, but programs and the kernel pass a 32-bit int:
/// the kernel sends 4 bytes in and takes 4 bytes out, whatever size the number encodes. So only the
/// first 4 bytes are read, and every reply is cut to the size the kernel asked for. The FS_IOC32_*
/// numbers arrive from 32-bit programs.
/// </summary>
internal sealed unsafe partial class FuseOperations
{
    private const uint FsIocGetFlags = 0x80086601;
    private const uint FsIocSetFlags = 0x40086602;
    private const uint FsIocGetFlags32 = 0x80046601;
    private const uint FsIocSetFlags32 = 0x40046602;
    private const uint FsIocFsGetXattr = 0x801c581f;
    private const uint FsIocFsSetXattr = 0x401c5820;

    /// <summary>FS_XFLAG_* bits of struct fsxattr that have an FS_*_FL twin this volume keeps.</summary>
    private static readonly (uint XFlag, InodeFlags Flag)[] XFlags =
    [
        (0x8, InodeFlags.Immutable),
        (0x10, InodeFlags.AppendOnly),
        (0x80, InodeFlags.NoDump),
    ];

    private static bool IsFlagsIoctl(uint cmd) =>
        cmd is FsIocGetFlags or FsIocGetFlags32 or FsIocSetFlags or FsIocSetFlags32 or FsIocFsGetXattr or FsIocFsSetXattr;

    private void FlagsIoctl(in FuseRequest r, ReplyWriter reply, in FuseIoctlIn io, ReadOnlySpan<byte> input)
    {
        uint cmd = io.Cmd;
        var e = _fs.GetFlags(r.NodeId, out var flags);
        if (e == FsError.Ok && cmd is FsIocSetFlags or FsIocSetFlags32 or FsIocFsSetXattr)
        {
            e = ToFlags(cmd, input, out var wanted);
            if (e == FsError.Ok)
            {
                // Only CAP_LINUX_IMMUTABLE may change immutable and append-only. The kernel checked it
                // already; root is the one caller this host can tell has it.
                e = _fs.SetFlags(r.NodeId, wanted, privileged: r.Header->Uid == 0);
                flags = wanted;
            }
        }
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, Errno.From(e));
            return;
        }
        if (cmd is FsIocFsGetXattr or FsIocFsSetXattr)
        {
            var x = new FsXattr { XFlags = ToXFlags(flags) };
            IoctlReply(r, reply, io, new ReadOnlySpan<byte>(&x, sizeof(FsXattr)));
        }
        else
        {
            ulong value = (uint)flags;
            IoctlReply(r, reply, io, new ReadOnlySpan<byte>(&value, sizeof(ulong)));
        }
        if (cmd is FsIocSetFlags or FsIocSetFlags32 or FsIocFsSetXattr)
        {
            // The change time moved: drop the kernel's cached attributes (offset -1: no page is touched).
            reply.Notify(FuseConstants.NotifyInvalInode, new FuseNotifyInvalInodeOut { Ino = (ulong)r.NodeId, Off = -1, Len = 0 });
        }
    }

    private static FsError ToFlags(uint cmd, ReadOnlySpan<byte> input, out InodeFlags flags)
    {
        flags = InodeFlags.None;
        if (cmd != FsIocFsSetXattr)
        {
            if (input.Length < sizeof(uint))
            {
                return FsError.InvalidArgument;
            }
            flags = (InodeFlags)MemoryMarshal.Read<uint>(input);
            return FsError.Ok;
        }
        if (input.Length < sizeof(FsXattr))
        {
            return FsError.InvalidArgument;
        }
        var x = MemoryMarshal.Read<FsXattr>(input);
        uint rest = x.XFlags;
        foreach (var (xflag, flag) in XFlags)
        {
            if ((rest & xflag) != 0)
            {
                flags |= flag;
                rest &= ~xflag;
            }
        }
        // Extent size hints and project ids are not kept: asking for them is not supported.
        return rest != 0 || x.ExtSize != 0 || x.ProjectId != 0 || x.CowExtSize != 0 ? FsError.NotSupported : FsError.Ok;
    }

    private static uint ToXFlags(InodeFlags flags)
    {
        uint x = 0;
        foreach (var (xflag, flag) in XFlags)
        {
            if ((flags & flag) != 0)
            {
                x |= xflag;
            }
        }
        return x;
    }

    /// <summary>struct fsxattr (linux/fs.h), 28 bytes.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct FsXattr
    {
        public uint XFlags;
        public uint ExtSize;
        public uint NextEnts;
        public uint ProjectId;
        public uint CowExtSize;
        public ulong Padding;
    }
}
