using System.Globalization;
using WinReflink.Core.Tests.Model;

namespace WinReflink.Core.Tests.Concurrency;

/// <summary>
/// Files every worker clones from and reads but none writes: their content must never change, however
/// many clones share their blocks and whatever the copy-on-write of those clones does. Sizes: a few
/// blocks and a tail, whole blocks, and an odd size, so clones reach their end mid-block and on it.
/// </summary>
internal sealed class SharedSources
{
    private SharedSources(IReadOnlyList<SharedSource> files)
    {
        Files = files;
    }

    public IReadOnlyList<SharedSource> Files { get; }

    /// <summary>Writes the sources into a directory "sources" of the root, and fsyncs them.</summary>
    public static SharedSources Create(FileSystem fs)
    {
        int bs = fs.BlockSize;
        long dir = NewNode.Directory(fs, FileSystem.RootIno, "sources");
        int[] sizes = [3 * bs + 123, 8 * bs, 100_003];
        var files = new List<SharedSource>();
        for (int i = 0; i < sizes.Length; i++)
        {
            string name = string.Create(CultureInfo.InvariantCulture, $"s{i}");
            var content = ModelData.Generate(1000 + i, sizes[i]);
            long ino = NewNode.RegularFile(fs, dir, name, content);
            EngineAnswer.Ok(fs.Fsync(ino), "fsync source " + name);
            files.Add(new SharedSource(name, ino, content));
        }
        return new SharedSources(files);
    }

    /// <summary>Reads part of a source and compares it with what was written at the start.</summary>
    public static void VerifyRange(FileSystem fs, SharedSource source, long offset, int length)
    {
        var buffer = new byte[length];
        EngineAnswer.Ok(fs.Read(source.Ino, offset, buffer, out int read), string.Create(CultureInfo.InvariantCulture, $"read source {source.Name} at {offset}"));
        int expected = (int)Math.Clamp(source.Content.Length - offset, 0, length);
        if (read != expected)
        {
            throw new ModelDivergenceException(string.Create(CultureInfo.InvariantCulture, $"source {source.Name}: read of {length} bytes at {offset} returned {read}, expected {expected}"));
        }
        int same = buffer.AsSpan(0, read).CommonPrefixLength(source.Content.AsSpan((int)Math.Min(offset, source.Content.Length), read));
        if (same < read)
        {
            long at = offset + same;
            throw new ModelDivergenceException(string.Create(CultureInfo.InvariantCulture,
                $"source {source.Name} (ino {source.Ino}), which nobody writes, changed at offset {at} (block {at / fs.BlockSize}): 0x{buffer[same]:X2}, written 0x{source.Content[at]:X2}"));
        }
    }

    /// <summary>Every source whole: size and bytes as written.</summary>
    public void Verify(FileSystem fs)
    {
        foreach (var source in Files)
        {
            EngineAnswer.Ok(fs.GetAttributes(source.Ino, out var attr), "getattr source " + source.Name);
            if (attr.Size != source.Content.Length)
            {
                throw new ModelDivergenceException(string.Create(CultureInfo.InvariantCulture, $"source {source.Name} has {attr.Size} bytes, written {source.Content.Length}"));
            }
            VerifyRange(fs, source, 0, source.Content.Length + 1);
        }
    }
}

/// <summary>One shared source: its name in "sources", its inode and the bytes it holds.</summary>
internal sealed record SharedSource(string Name, long Ino, byte[] Content);
