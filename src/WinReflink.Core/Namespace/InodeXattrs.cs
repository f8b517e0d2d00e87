using WinReflink.Core.Errors;
using WinReflink.Core.Transactions;

namespace WinReflink.Core.Namespace;

/// <summary>
/// Extended attributes: each inode's map of names (ordinal) to values. Invariants on return of every
/// change: no name is empty or longer than <see cref="MaxNameBytes"/> UTF-8 bytes, no value longer than
/// <see cref="MaxValueBytes"/>; a changed map is marked (XattrsChanged) so the commit rewrites the
/// inode's rows, and the inode's change time moved. A refused change changes nothing. Callers of a
/// change hold the inode's lock exclusively and checked the volume is writable and the chattr rules
/// (FlagRules.CheckMetadataWritable). Readers take no inode lock: a change builds a new map and
/// publishes it whole, so a reader sees the map before or after it, never one being changed.
/// </summary>
internal sealed class InodeXattrs
{
    public const int MaxNameBytes = 255;
    public const int MaxValueBytes = 65536;

    private readonly Transaction _transaction;

    public InodeXattrs(Transaction transaction)
    {
        _transaction = transaction;
    }

    /// <summary>Whether a name and a value of this size may be stored at all, before any lookup.</summary>
    public static FsError CheckArguments(string name, int valueBytes)
    {
        if (name.Length == 0)
        {
            return FsError.InvalidArgument;
        }
        if (System.Text.Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
        {
            return FsError.NameTooLong;
        }
        return valueBytes > MaxValueBytes ? FsError.AttributeTooLarge : FsError.Ok;
    }

    public static FsError Get(Inode inode, string name, out byte[] value)
    {
        var xattrs = Volatile.Read(ref inode.Xattrs);
        if (xattrs == null || !xattrs.TryGetValue(name, out value!))
        {
            value = Array.Empty<byte>();
            return FsError.NoAttribute;
        }
        return FsError.Ok;
    }

    /// <summary>The names in ordinal order.</summary>
    public static IReadOnlyList<string> Names(Inode inode) =>
        Volatile.Read(ref inode.Xattrs) is { } xattrs ? xattrs.Keys.Order(StringComparer.Ordinal).ToList() : Array.Empty<string>();

    /// <summary>Stores a copy of <paramref name="value"/>; Create refuses an existing name, Replace a missing one. The caller checked the arguments (<see cref="CheckArguments"/>).</summary>
    public FsError Set(Inode inode, string name, ReadOnlySpan<byte> value, XattrFlags flags)
    {
        bool exists = inode.Xattrs?.ContainsKey(name) == true;
        if ((flags & XattrFlags.Create) != 0 && exists)
        {
            return FsError.Exists;
        }
        if ((flags & XattrFlags.Replace) != 0 && !exists)
        {
            return FsError.NoAttribute;
        }
        var copy = inode.Xattrs == null ? new Dictionary<string, byte[]>(StringComparer.Ordinal) : new Dictionary<string, byte[]>(inode.Xattrs, StringComparer.Ordinal);
        copy[name] = value.ToArray();
        Volatile.Write(ref inode.Xattrs, copy);
        Changed(inode);
        return FsError.Ok;
    }

    public FsError Remove(Inode inode, string name)
    {
        if (inode.Xattrs == null || !inode.Xattrs.ContainsKey(name))
        {
            return FsError.NoAttribute;
        }
        var copy = new Dictionary<string, byte[]>(inode.Xattrs, StringComparer.Ordinal);
        copy.Remove(name);
        Volatile.Write(ref inode.Xattrs, copy);
        Changed(inode);
        return FsError.Ok;
    }

    private void Changed(Inode inode)
    {
        inode.XattrsChanged = true;
        inode.ChangeTime = FileSystem.Now();
        _transaction.Changed(inode);
    }
}
