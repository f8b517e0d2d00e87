using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using WinReflink.Core.Errors;
using WinReflink.Protocol;
using WinReflink.WinFsp.Interop;

namespace WinReflink.WinFsp.Adapter;

/// <summary>
/// The control channel over DeviceIoControl (winfsp.md 4.2): volume figures, extents, and the clone-token
/// protocol (a token from a handle with read access, the clone on a handle with write access), then
/// FspFileSystemNotify so Windows drops what it cached of the destination (3.7).
/// </summary>
internal sealed unsafe partial class WinFspAdapter
{
    /// <summary>How long NotifyBegin may wait for a rename in progress before answering STATUS_CANT_WAIT.</summary>
    private const uint NotifyTimeoutMs = 500;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnControl(nint fs, nint fileContext, uint controlCode, byte* input, uint inputLength, byte* output, uint outputLength,
        uint* bytesTransferred)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            *bytesTransferred = 0;
            if (!a.TryHandle(fileContext, out var handle))
            {
                return NtStatus.InvalidHandle;
            }
            var inBytes = new ReadOnlySpan<byte>(input, input == null ? 0 : (int)inputLength);
            var outBytes = new Span<byte>(output, output == null ? 0 : (int)outputLength);
            return controlCode switch
            {
                WindowsIoctl.Info => a.ControlInfo(outBytes, bytesTransferred),
                WindowsIoctl.Extents => a.ControlExtents(handle, inBytes, outBytes, bytesTransferred),
                WindowsIoctl.GetCloneToken => a.ControlGetCloneToken(handle, outBytes, bytesTransferred),
                WindowsIoctl.CloneFromToken => a.ControlCloneFromToken(handle, inBytes, outBytes, bytesTransferred),
                _ => NtStatus.InvalidDeviceRequest,
            };
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "Control");
        }
    }

    private int ControlInfo(Span<byte> output, uint* bytesTransferred)
    {
        byte[] json = Encoding.UTF8.GetBytes(_fs.InfoJson());
        if (json.Length > output.Length)
        {
            return NtStatus.BufferOverflow;
        }
        json.CopyTo(output);
        output[json.Length..].Clear();
        *bytesTransferred = (uint)Math.Min(output.Length, ControlProtocol.InfoBytes);
        return NtStatus.Success;
    }

    private int ControlExtents(FileHandle handle, ReadOnlySpan<byte> input, Span<byte> output, uint* bytesTransferred)
    {
        if (output.Length < sizeof(ExtentsPageHeader))
        {
            return NtStatus.BufferTooSmall;
        }
        var e = _fs.GetExtents(handle.Ino, out var extents);
        if (e != FsError.Ok)
        {
            return e.ToNtStatus();
        }
        *bytesTransferred = (uint)ExtentsPage.Write(extents, ExtentsPage.StartIndex(input), output,
            static x => ExtentRecord.Of(x.LogicalOffset, x.PhysicalOffset, x.Length, x.ShareCount, x.Unwritten));
        return NtStatus.Success;
    }

    private int ControlGetCloneToken(FileHandle handle, Span<byte> output, uint* bytesTransferred)
    {
        // The I/O manager already checked FILE_READ_ACCESS of the code against the handle; this repeats it
        // for the engine's sake: the token stands for the right to read the source.
        if ((handle.GrantedAccess & AccessMask.ReadData) == 0)
        {
            return NtStatus.AccessDenied;
        }
        if (output.Length < sizeof(CloneToken))
        {
            return NtStatus.BufferTooSmall;
        }
        var e = _fs.IssueCloneToken(handle.Ino, out ulong token);
        if (e != FsError.Ok)
        {
            return e.ToNtStatus();
        }
        MemoryMarshal.Write(output, new CloneToken { Token = token });
        *bytesTransferred = (uint)sizeof(CloneToken);
        return NtStatus.Success;
    }

    private int ControlCloneFromToken(FileHandle handle, ReadOnlySpan<byte> input, Span<byte> output, uint* bytesTransferred)
    {
        if ((handle.GrantedAccess & (AccessMask.WriteData | AccessMask.AppendData)) == 0)
        {
            return NtStatus.AccessDenied;
        }
        if (input.Length < sizeof(CloneFromTokenRequest))
        {
            return NtStatus.InvalidParameter;
        }
        if (output.Length < sizeof(CloneFromTokenRequest))
        {
            return NtStatus.BufferTooSmall;
        }
        var request = MemoryMarshal.Read<CloneFromTokenRequest>(input);
        long length = request.Length > long.MaxValue ? long.MaxValue : (long)request.Length;
        if (request.SourceOffset > long.MaxValue || request.DestinationOffset > long.MaxValue)
        {
            return NtStatus.InvalidParameter;
        }
        FsError e;
        long cloned;
        lock (handle.Node.IoLock)
        {
            e = _fs.CloneFromToken(request.Token, (long)request.SourceOffset, handle.Ino, (long)request.DestinationOffset, length, out cloned);
        }
        if (e != FsError.Ok)
        {
            return e.ToNtStatus();
        }
        request.Length = (ulong)cloned;
        MemoryMarshal.Write(output, request);
        *bytesTransferred = (uint)sizeof(CloneFromTokenRequest);
        NotifyModified(handle.Node.Path);
        return NtStatus.Success;
    }

    /// <summary>
    /// Tells WinFsp the file changed behind its back, so it purges the cached data and file info (3.7, 4.2).
    /// STATUS_CANT_WAIT (a rename in progress) is logged and the clone still succeeds.
    /// </summary>
    private void NotifyModified(string path)
    {
        int status = _api.NotifyBegin(NativeFileSystem, NotifyTimeoutMs);
        if (status != NtStatus.Success)
        {
            _logger.LogWarning("FspFileSystemNotifyBegin answered 0x{Status:X8}; {Path} may show cached data until it is reopened", status, path);
            return;
        }
        try
        {
            int size = NotifyInfo.HeaderSize + path.Length * sizeof(char);
            byte* record = stackalloc byte[size];
            var info = (NotifyInfo*)record;
            *info = new NotifyInfo
            {
                Size = (ushort)size,
                Filter = NotifyValues.ChangeSize | NotifyValues.ChangeLastWrite,
                Action = NotifyValues.ActionModified,
            };
            path.AsSpan().CopyTo(new Span<char>(record + NotifyInfo.HeaderSize, path.Length));
            status = _api.Notify(NativeFileSystem, info, (nuint)size);
            if (status != NtStatus.Success)
            {
                _logger.LogWarning("FspFileSystemNotify for {Path} answered 0x{Status:X8}", path, status);
            }
        }
        finally
        {
            _api.NotifyEnd(NativeFileSystem);
        }
    }
}
