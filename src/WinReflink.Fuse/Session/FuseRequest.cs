using System.Text;
using WinReflink.Fuse.Interop;

namespace WinReflink.Fuse.Session;

/// <summary>
/// One request read from /dev/fuse: its header and a view of the body that follows it. Every accessor
/// checks the body's length and throws <see cref="MalformedRequestException"/> rather than read past it.
/// </summary>
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

    /// <summary>
    /// Checks the framing of <paramref name="bytesRead"/> bytes: a whole header, a length equal to what
    /// was read, and room for the extensions the header announces. Null when the request is well
    /// framed; otherwise why not.
    /// </summary>
    public static string? Frame(byte* buffer, int bytesRead, out FuseRequest request)
    {
        request = default;
        if (bytesRead < sizeof(FuseInHeader))
        {
            return $"{bytesRead} bytes read, shorter than the {sizeof(FuseInHeader)}-byte header";
        }
        var header = (FuseInHeader*)buffer;
        if (header->Len != (uint)bytesRead)
        {
            return $"the header says {header->Len} bytes but {bytesRead} were read";
        }
        int body = bytesRead - sizeof(FuseInHeader) - header->TotalExtLen * 8;
        if (body < 0)
        {
            return $"{header->TotalExtLen * 8} bytes of extensions do not fit in a {bytesRead}-byte request";
        }
        request = new FuseRequest(header, buffer + sizeof(FuseInHeader), body);
        return null;
    }

    /// <summary>The opcode's argument struct at the start of the body.</summary>
    public T Arg<T>()
        where T : unmanaged => Arg<T>(sizeof(T));

    /// <summary>
    /// The argument struct when older protocol versions send only its first <paramref name="minimum"/>
    /// bytes; the missing fields read as zero.
    /// </summary>
    public T Arg<T>(int minimum)
        where T : unmanaged
    {
        if (BodyLength < minimum)
        {
            throw new MalformedRequestException($"a {BodyLength}-byte body is shorter than its {minimum}-byte {typeof(T).Name}");
        }
        T value = default;
        Buffer.MemoryCopy(Body, &value, sizeof(T), Math.Min(BodyLength, sizeof(T)));
        return value;
    }

    /// <summary>The NUL-terminated UTF-8 string at <paramref name="offset"/>; null when it is not valid UTF-8.</summary>
    public string? String(int offset, out int next)
    {
        if (offset < 0 || offset >= BodyLength)
        {
            throw new MalformedRequestException($"a name at byte {offset} of a {BodyLength}-byte body");
        }
        var span = new ReadOnlySpan<byte>(Body + offset, BodyLength - offset);
        int nul = span.IndexOf((byte)0);
        if (nul < 0)
        {
            throw new MalformedRequestException($"the name at byte {offset} has no NUL before the body ends");
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

    /// <summary>Exactly <paramref name="length"/> bytes at <paramref name="offset"/> (write data, xattr values, ioctl input).</summary>
    public ReadOnlySpan<byte> Bytes(int offset, long length)
    {
        if (offset < 0 || length < 0 || offset > BodyLength || length > BodyLength - offset)
        {
            throw new MalformedRequestException($"{length} bytes at byte {offset} of a {BodyLength}-byte body");
        }
        return new(Body + offset, (int)length);
    }

    /// <summary>Requests the kernel expects no reply to.</summary>
    public static bool NeedsNoReply(FuseOpcode opcode) => opcode is FuseOpcode.Forget or FuseOpcode.BatchForget or FuseOpcode.Interrupt;
}
