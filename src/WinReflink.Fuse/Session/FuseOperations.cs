using Microsoft.Extensions.Logging;
using WinReflink.Core;
using WinReflink.Core.Errors;
using WinReflink.Fuse.Interop;
using WinReflink.Fuse.Mounting;

namespace WinReflink.Fuse.Session;

/// <summary>
/// Translates FUSE requests into engine calls. It holds no filesystem state beyond open handles: names,
/// sizes, sharing and errors all come from <see cref="FileSystem"/>, so both hosts behave alike.
/// </summary>
internal sealed unsafe partial class FuseOperations
{
    private readonly FileSystem _fs;
    private readonly FuseMountOptions _options;
    private readonly ILogger _logger;
    private readonly OpenHandles _handles = new();
    private readonly InterruptibleRequests _interruptible = new();
    private readonly ulong _timeoutSeconds;
    private bool _allowMmap;
    private uint _minor;

    public FuseOperations(FileSystem fs, FuseMountOptions options, ILogger logger)
    {
        _fs = fs;
        _options = options;
        _logger = logger;
        _timeoutSeconds = (ulong)options.AttributeTimeout.TotalSeconds;
    }

    /// <summary>The negotiated protocol minor version (0 before INIT).</summary>
    public uint ProtocolMinor => _minor;

    /// <summary>Answers one request; false when the session should end (DESTROY).</summary>
    /// <remarks>No exception leaves: a malformed request is answered EINVAL, any other failure EIO, unless a reply already went out.</remarks>
    public bool Handle(in FuseRequest r, ReplyWriter reply)
    {
        // An INTERRUPT that matched no request for a while: EAGAIN makes the kernel send it again if its request still waits.
        while (_interruptible.TryTakeUnclaimed(out ulong interrupt))
        {
            reply.Error(interrupt, LinuxNative.EAgain);
        }
        reply.Begin(r.Unique);
        try
        {
            return Dispatch(r, reply);
        }
        catch (MalformedRequestException e)
        {
            _logger.LogWarning("Malformed FUSE {Opcode} request {Unique} on node {Node}: {Problem}", r.Header->Opcode, r.Unique, r.NodeId, e.Message);
            AnswerFailure(r, reply, LinuxNative.EInval);
            return true;
        }
        catch (Exception e)
        {
            _logger.LogError(e, "FUSE {Opcode} on node {Node} failed", r.Header->Opcode, r.NodeId);
            // The engine may have stopped halfway through a change: it must never commit that state.
            _fs.ReportUnexpected(e, $"FUSE {r.Header->Opcode}");
            AnswerFailure(r, reply, LinuxNative.EIo);
            return true;
        }
    }

    private static void AnswerFailure(in FuseRequest r, ReplyWriter reply, int errno)
    {
        if (!reply.Answered && !FuseRequest.NeedsNoReply(r.Header->Opcode))
        {
            reply.Error(r.Unique, errno);
        }
    }

    private bool Dispatch(in FuseRequest r, ReplyWriter reply)
    {
        switch (r.Header->Opcode)
        {
            case FuseOpcode.Init: Init(r, reply); break;
            case FuseOpcode.Destroy:
                EndSession();
                reply.Ok(r.Unique);
                return false;
            case FuseOpcode.Forget: Forget(r); break;
            case FuseOpcode.BatchForget: BatchForget(r); break;
            case FuseOpcode.Interrupt:
                // No reply now: the request it names answers (a short count or EINTR), or EAGAIN comes later.
                _interruptible.Interrupt(r.Arg<FuseInterruptIn>().Unique, r.Unique);
                break;
            case FuseOpcode.TmpFile: TmpFile(r, reply); break;
            case FuseOpcode.Lookup: Lookup(r, reply); break;
            case FuseOpcode.GetAttr: GetAttr(r, reply); break;
            case FuseOpcode.SetAttr: SetAttr(r, reply); break;
            case FuseOpcode.ReadLink: ReadLink(r, reply); break;
            case FuseOpcode.Symlink: Symlink(r, reply); break;
            case FuseOpcode.MkNod: MkNod(r, reply); break;
            case FuseOpcode.MkDir: MkDir(r, reply); break;
            case FuseOpcode.Unlink: Remove(r, reply, directory: false); break;
            case FuseOpcode.RmDir: Remove(r, reply, directory: true); break;
            case FuseOpcode.Rename: Rename(r, reply, two: false); break;
            case FuseOpcode.Rename2: Rename(r, reply, two: true); break;
            case FuseOpcode.Link: Link(r, reply); break;
            case FuseOpcode.Open: Open(r, reply); break;
            case FuseOpcode.Create: Create(r, reply); break;
            case FuseOpcode.Read: Read(r, reply); break;
            case FuseOpcode.Write: Write(r, reply); break;
            // close(2) returns FLUSH's answer: EIO there tells a program its changes were lost.
            case FuseOpcode.Flush: Reply(reply, r.Unique, _fs.Flush(r.NodeId)); break;
            case FuseOpcode.Release: Release(r, reply); break;
            case FuseOpcode.Fsync:
            case FuseOpcode.FsyncDir:
                Reply(reply, r.Unique, _fs.Fsync(r.NodeId));
                break;
            case FuseOpcode.SyncFs: Reply(reply, r.Unique, _fs.Sync()); break;
            case FuseOpcode.OpenDir: OpenDir(r, reply); break;
            case FuseOpcode.ReadDir: ReadDir(r, reply, plus: false); break;
            case FuseOpcode.ReadDirPlus: ReadDir(r, reply, plus: true); break;
            case FuseOpcode.ReleaseDir: ReleaseDir(r, reply); break;
            case FuseOpcode.StatFs: StatFs(r, reply); break;
            case FuseOpcode.Access: reply.Ok(r.Unique); break;
            case FuseOpcode.SetXattr: SetXattr(r, reply); break;
            case FuseOpcode.GetXattr: GetXattr(r, reply); break;
            case FuseOpcode.ListXattr: ListXattr(r, reply); break;
            case FuseOpcode.RemoveXattr: RemoveXattr(r, reply); break;
            case FuseOpcode.Fallocate: Fallocate(r, reply); break;
            case FuseOpcode.LSeek: LSeek(r, reply); break;
            case FuseOpcode.CopyFileRange: CopyFileRange(r, reply, wide: false); break;
            case FuseOpcode.CopyFileRange64: CopyFileRange(r, reply, wide: true); break;
            case FuseOpcode.Ioctl: Ioctl(r, reply); break;
            default:
                // Locks stay with the kernel (local locking), and the rest is not offered.
                reply.Error(r.Unique, LinuxNative.ENoSys);
                break;
        }
        return true;
    }

    private static void Reply(ReplyWriter reply, ulong unique, FsError e)
    {
        if (e == FsError.Ok)
        {
            reply.Ok(unique);
        }
        else
        {
            reply.Error(unique, Errno.From(e));
        }
    }

    private void Init(in FuseRequest r, ReplyWriter reply)
    {
        // Kernels before 7.36 send only major, minor, max_readahead and flags.
        var inArg = r.Arg<FuseInitIn>(16);
        if (inArg.Major != FuseConstants.KernelMajor)
        {
            _logger.LogError("The kernel speaks FUSE protocol {Major}.{Minor}; this host speaks 7.x", inArg.Major, inArg.Minor);
            reply.Error(r.Unique, LinuxNative.EInval);
            return;
        }
        _minor = Math.Min(inArg.Minor, FuseConstants.KernelMinor);
        ulong kernel = inArg.Flags;
        if ((kernel & FuseInitFlags.InitExt) != 0)
        {
            kernel |= (ulong)inArg.Flags2 << 32;
        }
        ulong wanted = FuseInitFlags.AsyncRead | FuseInitFlags.AtomicOTrunc | FuseInitFlags.BigWrites | FuseInitFlags.HasIoctlDir
            | FuseInitFlags.AutoInvalData | FuseInitFlags.DoReadDirPlus | FuseInitFlags.ReadDirPlusAuto | FuseInitFlags.AsyncDio
            | FuseInitFlags.ParallelDirOps | FuseInitFlags.MaxPages | FuseInitFlags.CacheSymlinks | FuseInitFlags.HandleKillPrivV2
            | FuseInitFlags.InitExt | FuseInitFlags.DirectIoAllowMmap;
        ulong granted = kernel & wanted;
        _allowMmap = (granted & FuseInitFlags.DirectIoAllowMmap) != 0;
        if (!_options.KernelCache && !_allowMmap)
        {
            _logger.LogWarning("This kernel (FUSE 7.{Minor}) cannot mmap files opened for direct I/O; shared writable mmap needs --kernel-cache", inArg.Minor);
        }
        var outArg = new FuseInitOut
        {
            Major = FuseConstants.KernelMajor,
            Minor = _minor,
            MaxReadahead = Math.Min(inArg.MaxReadahead, (uint)FuseConstants.MaxWrite),
            Flags = (uint)granted,
            Flags2 = (uint)(granted >> 32),
            MaxBackground = 64,
            CongestionThreshold = 48,
            MaxWrite = FuseConstants.MaxWrite,
            TimeGran = 100,
            MaxPages = FuseConstants.MaxPages,
        };
        // Protocol 7.23 and older expect the 24-byte reply (FUSE_COMPAT_22_INIT_OUT_SIZE).
        if (_minor < 23)
        {
            reply.Bytes(r.Unique, new ReadOnlySpan<byte>(&outArg, 24));
            return;
        }
        reply.Struct(r.Unique, outArg);
    }

    private FuseEntryOut Entry(in InodeAttributes a) => new()
    {
        NodeId = (ulong)a.Ino,
        Generation = (ulong)a.Generation,
        EntryValid = _timeoutSeconds,
        AttrValid = _timeoutSeconds,
        Attr = AttributeConversion.ToFuse(a),
    };

    private FuseAttrOut AttrOut(in InodeAttributes a) => new()
    {
        AttrValid = _timeoutSeconds,
        Attr = AttributeConversion.ToFuse(a),
    };

    private void ReplyEntry(ReplyWriter reply, ulong unique, FsError e, in InodeAttributes a)
    {
        if (e != FsError.Ok)
        {
            reply.Error(unique, Errno.From(e));
            return;
        }
        ReplyReferenced(reply, unique, Entry(a));
    }
}
