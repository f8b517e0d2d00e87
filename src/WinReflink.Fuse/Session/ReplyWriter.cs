using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using WinReflink.Fuse.Interop;

namespace WinReflink.Fuse.Session;

/// <summary>
/// Writes replies to /dev/fuse: the out header and the payload in one writev, so a 1 MiB read reply
/// goes out without another copy. One per worker thread. A reply the kernel refuses is logged and
/// replaced by an EIO reply, so the request it answers never hangs; ENOENT means the request was
/// interrupted and is gone, which is tolerated.
/// </summary>
internal sealed unsafe class ReplyWriter : IDisposable
{
    private readonly int _fd;
    private readonly ILogger _logger;
    private ulong _current;

    public ReplyWriter(int fd, ILogger logger)
    {
        _fd = fd;
        _logger = logger;
        Buffer = (byte*)NativeMemory.AlignedAlloc(FuseConstants.MaxWrite + 4096, 4096);
        BufferLength = FuseConstants.MaxWrite + 4096;
    }

    /// <summary>Scratch space for payloads (read data, directory listings).</summary>
    public byte* Buffer { get; private set; }
    public int BufferLength { get; }

    /// <summary>Whether the request begun last has been answered (a reply was attempted).</summary>
    public bool Answered { get; private set; }

    /// <summary>Starts a request: <see cref="Answered"/> turns true with its first reply.</summary>
    public void Begin(ulong unique)
    {
        _current = unique;
        Answered = false;
    }

    // Each reply returns whether the kernel took it; a caller that handed out a reference or a handle
    // in the reply takes it back when it did not.

    public bool Error(ulong unique, int errno) => Send(unique, -errno, null, 0, null, 0);

    public bool Ok(ulong unique) => Send(unique, 0, null, 0, null, 0);

    public bool Struct<T>(ulong unique, in T value)
        where T : unmanaged
    {
        fixed (T* p = &value)
        {
            return Send(unique, 0, p, sizeof(T), null, 0);
        }
    }

    public bool Struct<T, TU>(ulong unique, in T first, in TU second)
        where T : unmanaged
        where TU : unmanaged
    {
        fixed (T* a = &first)
        fixed (TU* b = &second)
        {
            return Send(unique, 0, a, sizeof(T), b, sizeof(TU));
        }
    }

    /// <summary>Replies with <paramref name="length"/> bytes of <see cref="Buffer"/>.</summary>
    public bool FromBuffer(ulong unique, int length) => Send(unique, 0, Buffer, length, null, 0);

    public bool Bytes(ulong unique, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            return Send(unique, 0, p, data.Length, null, 0);
        }
    }

    public bool Struct<T>(ulong unique, in T value, ReadOnlySpan<byte> tail)
        where T : unmanaged
    {
        fixed (T* p = &value)
        fixed (byte* t = tail)
        {
            return Send(unique, 0, p, sizeof(T), t, tail.Length);
        }
    }

    /// <summary>A notification: unique 0 and the notify code where the error goes.</summary>
    public void Notify<T>(int code, in T value)
        where T : unmanaged
    {
        fixed (T* p = &value)
        {
            Send(0, code, p, sizeof(T), null, 0);
        }
    }

    /// <summary>A notification with a variable-length tail (a name and its NUL).</summary>
    public void Notify<T>(int code, in T value, ReadOnlySpan<byte> tail)
        where T : unmanaged
    {
        fixed (T* p = &value)
        fixed (byte* t = tail)
        {
            Send(0, code, p, sizeof(T), t, tail.Length);
        }
    }

    /// <summary>A notification without payload.</summary>
    public void Notify(int code) => Send(0, code, null, 0, null, 0);

    private bool Send(ulong unique, int error, void* a, int aLen, void* b, int bLen)
    {
        if (unique != 0 && unique == _current)
        {
            Answered = true;
        }
        int err = Write(unique, error, a, aLen, b, bLen);
        if (err == 0)
        {
            return true;
        }
        if (unique == 0)
        {
            // ENOENT: the kernel no longer caches what the notification names.
            _logger.Log(err == LinuxNative.ENoEnt ? LogLevel.Debug : LogLevel.Warning, "FUSE notification {Code} was refused: {Error}", error, LinuxNative.Describe(err));
            return false;
        }
        if (err == LinuxNative.ENoEnt)
        {
            _logger.LogDebug("FUSE request {Unique} was interrupted before its reply", unique);
            return false;
        }
        _logger.LogError("The reply to FUSE request {Unique} ({Bytes} bytes, error {Errno}) was refused: {Error}; answering EIO instead",
            unique, sizeof(FuseOutHeader) + aLen + bLen, -error, LinuxNative.Describe(err));
        if (aLen + bLen > 0 || error != -LinuxNative.EIo)
        {
            int again = Write(unique, -LinuxNative.EIo, null, 0, null, 0);
            if (again != 0 && again != LinuxNative.ENoEnt)
            {
                _logger.LogError("The EIO reply to FUSE request {Unique} was refused too: {Error}", unique, LinuxNative.Describe(again));
            }
        }
        return false;
    }

    /// <summary>One writev of the header and up to two payload parts; 0 or the errno.</summary>
    private int Write(ulong unique, int error, void* a, int aLen, void* b, int bLen)
    {
        var header = new FuseOutHeader { Len = (uint)(sizeof(FuseOutHeader) + aLen + bLen), Error = error, Unique = unique };
        var iov = stackalloc LinuxNative.IoVec[3];
        iov[0] = new LinuxNative.IoVec { Base = &header, Length = (nuint)sizeof(FuseOutHeader) };
        int count = 1;
        if (aLen > 0)
        {
            iov[count++] = new LinuxNative.IoVec { Base = a, Length = (nuint)aLen };
        }
        if (bLen > 0)
        {
            iov[count++] = new LinuxNative.IoVec { Base = b, Length = (nuint)bLen };
        }
        while (true)
        {
            nint n = LinuxNative.WriteV(_fd, iov, count);
            if (n >= 0)
            {
                return 0;
            }
            int err = LinuxNative.LastError;
            if (err != LinuxNative.EIntr)
            {
                return err;
            }
        }
    }

    public void Dispose()
    {
        if (Buffer != null)
        {
            NativeMemory.AlignedFree(Buffer);
            Buffer = null;
        }
    }
}
