using System.Runtime.InteropServices;
using WinReflink.Fuse.Interop;

namespace WinReflink.Fuse.Session;

/// <summary>
/// Writes replies to /dev/fuse: the out header and the payload in one writev, so a 1 MiB read reply
/// goes out without another copy. One per worker thread.
/// </summary>
internal sealed unsafe class ReplyWriter : IDisposable
{
    private readonly int _fd;

    public ReplyWriter(int fd)
    {
        _fd = fd;
        Buffer = (byte*)NativeMemory.AlignedAlloc(FuseConstants.MaxWrite + 4096, 4096);
        BufferLength = FuseConstants.MaxWrite + 4096;
    }

    /// <summary>Scratch space for payloads (read data, directory listings).</summary>
    public byte* Buffer { get; private set; }
    public int BufferLength { get; }

    public void Error(ulong unique, int errno) => Send(unique, -errno, null, 0, null, 0);

    public void Ok(ulong unique) => Send(unique, 0, null, 0, null, 0);

    public void Struct<T>(ulong unique, in T value)
        where T : unmanaged
    {
        fixed (T* p = &value)
        {
            Send(unique, 0, p, sizeof(T), null, 0);
        }
    }

    public void Struct<T, TU>(ulong unique, in T first, in TU second)
        where T : unmanaged
        where TU : unmanaged
    {
        fixed (T* a = &first)
        fixed (TU* b = &second)
        {
            Send(unique, 0, a, sizeof(T), b, sizeof(TU));
        }
    }

    /// <summary>Replies with <paramref name="length"/> bytes of <see cref="Buffer"/>.</summary>
    public void FromBuffer(ulong unique, int length) => Send(unique, 0, Buffer, length, null, 0);

    public void Bytes(ulong unique, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            Send(unique, 0, p, data.Length, null, 0);
        }
    }

    public void Struct<T>(ulong unique, in T value, ReadOnlySpan<byte> tail)
        where T : unmanaged
    {
        fixed (T* p = &value)
        fixed (byte* t = tail)
        {
            Send(unique, 0, p, sizeof(T), t, tail.Length);
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

    private void Send(ulong unique, int error, void* a, int aLen, void* b, int bLen)
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
        // ENOENT means the request was interrupted and is gone: nothing to do.
        LinuxNative.WriteV(_fd, iov, count);
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
