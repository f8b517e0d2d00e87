namespace WinReflink.Core.Tests.Model;

/// <summary>
/// One inode of the model: a regular file, a directory or a symbolic link, with its extended
/// attributes. Ids name nodes in traces (file "f3" is id 3, directory "d5" id 5); the root is id 0.
/// </summary>
internal abstract class ModelNode
{
    protected ModelNode(int id, long ino)
    {
        Id = id;
        Ino = ino;
    }

    public int Id { get; }
    public long Ino { get; }
    public SortedDictionary<string, byte[]> Xattrs { get; private set; } = new(StringComparer.Ordinal);

    /// <summary>A deep copy, for the snapshot a commit leaves.</summary>
    public abstract ModelNode Clone();

    protected T WithXattrsOf<T>(T copy)
        where T : ModelNode
    {
        copy.Xattrs = new SortedDictionary<string, byte[]>(Xattrs.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);
        return copy;
    }
}

/// <summary>A directory: its entries by lookup key (the name folded on a case-insensitive volume), each with the spelling stored.</summary>
internal sealed class ModelDirectory : ModelNode
{
    public ModelDirectory(int id, long ino, int parentId)
        : base(id, ino)
    {
        ParentId = parentId;
    }

    public int ParentId { get; set; }
    public Dictionary<string, ModelEntry> Entries { get; private set; } = new(StringComparer.Ordinal);

    public override ModelNode Clone()
    {
        var copy = new ModelDirectory(Id, Ino, ParentId) { Entries = new Dictionary<string, ModelEntry>(Entries, StringComparer.Ordinal) };
        return WithXattrsOf(copy);
    }
}

/// <summary>One name in a directory: the spelling as stored and the node it names.</summary>
internal readonly record struct ModelEntry(string Name, int Node);

internal sealed class ModelSymlink : ModelNode
{
    public ModelSymlink(int id, long ino, string target)
        : base(id, ino)
    {
        Target = target;
    }

    public string Target { get; }

    public override ModelNode Clone() => WithXattrsOf(new ModelSymlink(Id, Ino, Target));
}
