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

    /// <summary>The inode's descriptor, or null when it has none.</summary>
    public byte[]? Get(Inode inode) => _descriptors.Get(inode.SecurityId);

    /// <summary>Gives the inode <paramref name="descriptor"/> (empty: none). The caller checked the volume is writable and the chattr rules.</summary>
    public void Set(Inode inode, byte[] descriptor)
    {
        long id = descriptor.Length == 0 ? 0 : _descriptors.Acquire(descriptor);
        _descriptors.Release(inode.SecurityId);
        inode.SecurityId = id;
        inode.ChangeTime = FileSystem.Now();
        _transaction.Changed(inode);
    }
}
