namespace WinReflink.Core.Tests.Concurrency;

/// <summary>Creates the files and directories a test sets up before its workers start; a refusal is a divergence naming the node.</summary>
internal static class NewNode
{
    private const uint RegularFileMode = 0x81A4;
    private const uint DirectoryMode = 0x41ED;

    public static readonly CreateRequest FileRequest = new(RegularFileMode, 0, 0);

    public static long Directory(FileSystem fs, long parent, string name)
    {
        EngineAnswer.Ok(fs.Mkdir(parent, name, new CreateRequest(DirectoryMode, 0, 0), out var attr), "mkdir " + name);
        return attr.Ino;
    }

    /// <summary>A regular file, with <paramref name="content"/> written when there is any.</summary>
    public static long RegularFile(FileSystem fs, long parent, string name, ReadOnlySpan<byte> content = default)
    {
        EngineAnswer.Ok(fs.Create(parent, name, FileRequest, out var attr), "create " + name);
        if (content.Length > 0)
        {
            EngineAnswer.Ok(fs.Write(attr.Ino, 0, content, out int written), "write " + name);
            if (written != content.Length)
            {
                throw new Model.ModelDivergenceException($"write {name}: wrote {written} of {content.Length} bytes");
            }
        }
        return attr.Ino;
    }
}
