using WinReflink.Core.Transactions;

namespace WinReflink.Core.Namespace;

/// <summary>
/// An inode's Windows security descriptor, held as an id into the volume's <see cref="SecurityDescriptorTable"/>.
/// Invariant on return: each descriptor's use count is the number of inodes naming it (the new one is
/// acquired before the old one is released, so setting the same descriptor again never drops it).
/// Callers hold the volume lock; creation and destruction acquire and release through
/// <see cref="InodeTable"/>, every change in between comes here.
/// </summary>
internal sealed class InodeSecurity
{
    private readonly SecurityDescriptorTable _descriptors;
    private readonly Transaction _transaction;

    public InodeSecurity(SecurityDescriptorTable descriptors, Transaction transaction)
    {
        _descriptors = descriptors;
        _transaction = transaction;
    }

    /// <summary>
    /// The inode's descriptor, or null when it has none. Takes no inode lock (Windows asks on every
    /// open): a <see cref="Set"/> meanwhile may release the descriptor read a moment before, so a
    /// missing one is looked up again under the inode's new id. Ids are never reused.
    /// </summary>
    public byte[]? Get(Inode inode)
    {
        while (true)
        {
            long id = Volatile.Read(ref inode.SecurityId);
            var descriptor = _descriptors.Get(id);
            if (descriptor != null || id == Volatile.Read(ref inode.SecurityId))
            {
                return descriptor;
            }
        }
    }

    /// <summary>
    /// Gives the inode <paramref name="descriptor"/> (empty: none). The caller holds the inode's lock
    /// exclusively and checked that the volume is writable and the chattr rules. The new id is in
    /// place before the old descriptor is released, for <see cref="Get"/>.
    /// </summary>
    public void Set(Inode inode, byte[] descriptor)
    {
        long id = descriptor.Length == 0 ? 0 : _descriptors.Acquire(descriptor);
        long old = inode.SecurityId;
        Volatile.Write(ref inode.SecurityId, id);
        _descriptors.Release(old);
        inode.ChangeTime = FileSystem.Now();
        _transaction.Changed(inode);
    }
}
