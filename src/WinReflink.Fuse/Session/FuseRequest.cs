using System.Text;
using WinReflink.Fuse.Interop;

namespace WinReflink.Fuse.Session;

/// <summary>One request read from /dev/fuse: its header and a view of the body that follows it.</summary>
internal readonly unsafe struct FuseRequest
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    public FuseRequest(FuseInHeader* header, byte* body, int bodyLength)
    {
        Header = header;
        Body = body;
        BodyLength = bodyLength;
    }

    public FuseInHeader* Header { get; }
    public byte* Body { get; }
    public int BodyLength { get; }
    public ulong Unique => Header->Unique;
    public long NodeId => (long)Header->NodeId;

    public T Arg<T>()
        where T : unmanaged
    {
        if (BodyLength < sizeof(T))
        {
            T value = default;
            Buffer.MemoryCopy(Body, &value, sizeof(T), BodyLength);
            return value;
        }
        return *(T*)Body;
    }

    /// <summary>The NUL-terminated UTF-8 string at <paramref name="offset"/>; null when it is not valid UTF-8.</summary>
    public string? String(int offset, out int next)
    {
        var span = new ReadOnlySpan<byte>(Body + offset, BodyLength - offset);
        int nul = span.IndexOf((byte)0);
        if (nul < 0)
        {
            nul = span.Length;
        }
        next = offset + nul + 1;
        try
        {
            return StrictUtf8.GetString(span[..nul]);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    public ReadOnlySpan<byte> Bytes(int offset, int length) => new(Body + offset, Math.Max(0, Math.Min(length, BodyLength - offset)));
}
