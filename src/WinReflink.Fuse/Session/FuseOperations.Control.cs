using ExtentsPageLayout = WinReflink.Protocol.ExtentsPage;
using System.Runtime.InteropServices;
using System.Text;
using WinReflink.Core;
using WinReflink.Core.Errors;
using WinReflink.Fuse.Interop;
using WinReflink.Protocol;

namespace WinReflink.Fuse.Session;

/// <summary>
/// The control channel over FUSE ioctl: figures, extent listings and handle-authorised clones, all
/// through the filesystem's own permission checks (an ioctl needs an open handle), never a side socket.
/// </summary>
internal sealed unsafe partial class FuseOperations
{
    private void Ioctl(in FuseRequest r, ReplyWriter reply)
    {
        var io = r.Arg<FuseIoctlIn>();
        var input = r.Bytes(sizeof(FuseIoctlIn), (int)io.InSize);
        _handles.TryGet(io.Fh, out var handle);
        uint cmd = io.Cmd;
        if (cmd == LinuxIoctl.Info)
        {
            var json = new byte[ControlProtocol.InfoBytes];
            int n = Encoding.UTF8.GetBytes(_fs.InfoJson(), json);
            if (n >= json.Length)
            {
                reply.Error(r.Unique, LinuxNative.E2Big);
                return;
            }
            IoctlReply(r, reply, io, json);
        }
        else if (cmd == LinuxIoctl.Extents)
        {
            ExtentsPage(r, reply, io, input);
        }
        else if (cmd == LinuxIoctl.GetCloneToken)
        {
            if (handle == null || !handle.CanRead || handle.Directory)
            {
                reply.Error(r.Unique, LinuxNative.EBadF);
                return;
            }
            var e = _fs.IssueCloneToken(r.NodeId, out ulong token);
            if (e != FsError.Ok)
            {
                reply.Error(r.Unique, Errno.From(e));
                return;
            }
            var t = new CloneToken { Token = token };
            IoctlReply(r, reply, io, new ReadOnlySpan<byte>(&t, sizeof(CloneToken)));
        }
        else if (cmd == LinuxIoctl.CloneFromToken)
        {
            if (handle == null || !handle.CanWrite || handle.Directory)
            {
                reply.Error(r.Unique, LinuxNative.EBadF);
                return;
            }
            if (input.Length < sizeof(CloneFromTokenRequest))
            {
                reply.Error(r.Unique, LinuxNative.EInval);
                return;
            }
            var req = MemoryMarshal.Read<CloneFromTokenRequest>(input);
            long length = req.Length > long.MaxValue ? long.MaxValue : (long)req.Length;
            FsError e;
            long cloned;
            using (var interruptible = _interruptible.Register(r.Unique))
            {
                e = _fs.CloneFromToken(req.Token, (long)req.SourceOffset, r.NodeId, (long)req.DestinationOffset, length, interruptible.Token, out cloned);
            }
            // An interrupted clone answers EINTR whatever it did, as an ioctl has no short count to give.
            if (e != FsError.Ok)
            {
                reply.Error(r.Unique, Errno.From(e));
            }
            else
            {
                req.Length = (ulong)cloned;
                IoctlReply(r, reply, io, new ReadOnlySpan<byte>(&req, sizeof(CloneFromTokenRequest)));
            }
            if (cloned > 0)
            {
                // The clone changed the file behind the kernel's back: drop its cached attributes and pages.
                reply.Notify(FuseConstants.NotifyInvalInode, new FuseNotifyInvalInodeOut { Ino = (ulong)r.NodeId, Off = 0, Len = 0 });
            }
        }
        else if (IsFlagsIoctl(cmd))
        {
            FlagsIoctl(r, reply, io, input);
        }
        else
        {
            reply.Error(r.Unique, LinuxNative.ENotTy);
        }
    }

    private void ExtentsPage(in FuseRequest r, ReplyWriter reply, in FuseIoctlIn io, ReadOnlySpan<byte> input)
    {
        var e = _fs.GetExtents(r.NodeId, out var extents);
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, Errno.From(e));
            return;
        }
        var page = new byte[ControlProtocol.ExtentsPageBytes];
        ExtentsPageLayout.Write(extents, ExtentsPageLayout.StartIndex(input), page,
            static x => ExtentRecord.Of(x.LogicalOffset, x.PhysicalOffset, x.Length, x.ShareCount, x.Unwritten));
        IoctlReply(r, reply, io, page);
    }

    private static void IoctlReply(in FuseRequest r, ReplyWriter reply, in FuseIoctlIn io, ReadOnlySpan<byte> output)
    {
        int n = (int)Math.Min((uint)output.Length, io.OutSize);
        reply.Struct(r.Unique, new FuseIoctlOut { Result = 0 }, output[..n]);
    }
}
