namespace WinReflink.Core.Tests.Model;

/// <summary>
/// The trivial model of one regular file: its bytes and its size. Bytes past the size are kept zero,
/// so growing a file (by truncate or by writing past the end) shows zeros without extra work.
/// Its names live in the directories (<see cref="ModelVolume"/>); with none and open handles it is an orphan.
/// </summary>
internal sealed class ModelFile : ModelNode
{
    private byte[] _data = Array.Empty<byte>();

    public ModelFile(int id, long ino)
        : base(id, ino)
    {
    }

    public int OpenCount { get; set; }
    public long Size { get; private set; }

    public ReadOnlySpan<byte> Bytes => _data.AsSpan(0, (int)Size);

    public byte[] Snapshot() => Bytes.ToArray();

    public override ModelNode Clone()
    {
        var copy = new ModelFile(Id, Ino) { OpenCount = OpenCount };
        copy.Reset(Snapshot());
        return WithXattrsOf(copy);
    }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        long end = offset + data.Length;
        Reserve(end);
        data.CopyTo(_data.AsSpan((int)offset));
        Size = Math.Max(Size, end);
    }

    public void SetSize(long size)
    {
        if (size < Size)
        {
            _data.AsSpan((int)size, (int)(Size - size)).Clear();
        }
        else
        {
            Reserve(size);
        }
        Size = size;
    }

    /// <summary>Zeros the bytes of [offset, offset+length) that lie inside the file.</summary>
    public void Zero(long offset, long length)
    {
        long end = Math.Min(Size, offset + length);
        if (end > offset)
        {
            _data.AsSpan((int)offset, (int)(end - offset)).Clear();
        }
    }

    /// <summary>Replaces the whole content (after a crash the engine's surviving bytes become the model).</summary>
    public void Reset(byte[] content)
    {
        _data = (byte[])content.Clone();
        Size = content.Length;
    }

    private void Reserve(long size)
    {
        if (size > int.MaxValue / 2)
        {
            throw new InvalidOperationException($"the model keeps files small; {size} bytes is too large");
        }
        if (size > _data.Length)
        {
            Array.Resize(ref _data, (int)Math.Max(size, Math.Min(int.MaxValue / 2, (long)_data.Length * 2)));
        }
    }
}
