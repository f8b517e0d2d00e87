namespace WinReflink.Fuse.Tests.Model;

/// <summary>What one inode should contain: a growable byte array. Identity stands for the inode.</summary>
internal sealed class ModelFile
{
    private byte[] _data = new byte[4096];

    public ModelFile(int id)
    {
        Id = id;
    }

    public int Id { get; }
    public long Length { get; private set; }
    public ReadOnlySpan<byte> Content => _data.AsSpan(0, (int)Length);

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        long end = offset + data.Length;
        if (end > Length)
        {
            SetLength(end);
        }
        data.CopyTo(_data.AsSpan((int)offset));
    }

    /// <summary>Truncate or extend with zeros.</summary>
    public void SetLength(long length)
    {
        if (length > _data.Length)
        {
            Array.Resize(ref _data, (int)Math.Max(length, _data.Length * 2L));
        }
        if (length > Length)
        {
            _data.AsSpan((int)Length, (int)(length - Length)).Clear();
        }
        else
        {
            _data.AsSpan((int)length, (int)(Length - length)).Clear();
        }
        Length = length;
    }

    /// <summary>Zeros within the file's current size (fallocate punch with KEEP_SIZE).</summary>
    public void Zero(long offset, long length)
    {
        long end = Math.Min(Length, offset + length);
        if (offset < end)
        {
            _data.AsSpan((int)offset, (int)(end - offset)).Clear();
        }
    }

    public byte[] Slice(long offset, long length)
    {
        long end = Math.Min(Length, offset + length);
        return offset >= end ? [] : _data.AsSpan((int)offset, (int)(end - offset)).ToArray();
    }
}
