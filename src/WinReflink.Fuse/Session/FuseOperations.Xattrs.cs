using System.Text;
using WinReflink.Core;
using WinReflink.Core.Errors;
using WinReflink.Fuse.Interop;

namespace WinReflink.Fuse.Session;

internal sealed unsafe partial class FuseOperations
{
    private const uint XattrCreate = 1;
    private const uint XattrReplace = 2;

    /// <summary>POSIX ACLs are not supported (the kernel checks mode bits), so system.* names are refused as ext4 without acl does.</summary>
    private static bool Unsupported(string name) => name.StartsWith("system.", StringComparison.Ordinal);

    private static int XattrErrno(FsError e) => e == FsError.NameTooLong ? LinuxNative.ERange : Errno.From(e);

    private void SetXattr(in FuseRequest r, ReplyWriter reply)
    {
        var s = r.Arg<FuseSetXattrIn>();
        string? name = r.String(sizeof(FuseSetXattrIn), out int next);
        if (name == null)
        {
            reply.Error(r.Unique, LinuxNative.EInval);
            return;
        }
        if (Unsupported(name))
        {
            reply.Error(r.Unique, LinuxNative.EOpNotSupp);
            return;
        }
        var flags = XattrFlags.None;
        if ((s.Flags & XattrCreate) != 0)
        {
            flags |= XattrFlags.Create;
        }
        if ((s.Flags & XattrReplace) != 0)
        {
            flags |= XattrFlags.Replace;
        }
        var e = _fs.SetXattr(r.NodeId, name, r.Bytes(next, (int)s.Size), flags);
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, XattrErrno(e));
            return;
        }
        reply.Ok(r.Unique);
    }

    private void GetXattr(in FuseRequest r, ReplyWriter reply)
    {
        var g = r.Arg<FuseGetXattrIn>();
        string? name = r.String(sizeof(FuseGetXattrIn), out _);
        if (name == null || Unsupported(name))
        {
            reply.Error(r.Unique, name == null ? LinuxNative.ENoData : LinuxNative.EOpNotSupp);
            return;
        }
        var e = _fs.GetXattr(r.NodeId, name, out byte[] value);
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, XattrErrno(e));
            return;
        }
        SizedReply(r, reply, g.Size, value);
    }

    private void ListXattr(in FuseRequest r, ReplyWriter reply)
    {
        var g = r.Arg<FuseGetXattrIn>();
        var e = _fs.ListXattrs(r.NodeId, out var names);
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, Errno.From(e));
            return;
        }
        var bytes = new List<byte>();
        foreach (string n in names)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(n));
            bytes.Add(0);
        }
        SizedReply(r, reply, g.Size, bytes.ToArray());
    }

    /// <summary>Size 0 asks only for the length; a buffer too small is ERANGE.</summary>
    private static void SizedReply(in FuseRequest r, ReplyWriter reply, uint size, byte[] value)
    {
        if (size == 0)
        {
            reply.Struct(r.Unique, new FuseGetXattrOut { Size = (uint)value.Length });
        }
        else if (value.Length > size)
        {
            reply.Error(r.Unique, LinuxNative.ERange);
        }
        else
        {
            reply.Bytes(r.Unique, value);
        }
    }

    private void RemoveXattr(in FuseRequest r, ReplyWriter reply)
    {
        string? name = r.String(0, out _);
        if (name == null || Unsupported(name))
        {
            reply.Error(r.Unique, name == null ? LinuxNative.ENoData : LinuxNative.EOpNotSupp);
            return;
        }
        var e = _fs.RemoveXattr(r.NodeId, name);
        if (e != FsError.Ok)
        {
            reply.Error(r.Unique, XattrErrno(e));
            return;
        }
        reply.Ok(r.Unique);
    }
}
