using System.Text;
using Microsoft.Extensions.Logging;
using WinReflink.Core.Errors;
using WinReflink.Fuse.Interop;

namespace WinReflink.Fuse.Session;

/// <summary>
/// Case-insensitive volumes under the kernel's case-sensitive dentry cache. Every spelling a program
/// uses becomes its own dentry, so after an unlink or rename through one spelling the others would
/// still resolve to the old inode for the whole entry timeout. Two rules keep the cache honest: a
/// lookup under a spelling other than the stored one gets no entry timeout (the kernel asks again each
/// time), and when an entry is removed or renamed through another spelling, the dentry of its stored
/// spelling is dropped.
/// </summary>
internal sealed unsafe partial class FuseOperations
{
    /// <summary>The stored spelling of the entry when it differs from <paramref name="name"/>; null otherwise.</summary>
    private string? OtherStoredSpelling(long parent, string name)
    {
        if (_fs.CaseSensitive || name is "." or ".." || _fs.EntryName(parent, name, out string stored) != FsError.Ok)
        {
            return null;
        }
        return string.Equals(stored, name, StringComparison.Ordinal) ? null : stored;
    }

    /// <summary>
    /// Drops the kernel's dentries of stored spellings. Since 7.44 an epoch increment does it at once and
    /// takes no lock, so it is safe before the reply; INVAL_ENTRY locks the parent the current request
    /// holds, so older kernels get it from another thread after the reply.
    /// </summary>
    private void ForgetSpellings(ReplyWriter reply, List<(long Parent, string Name)> spellings)
    {
        if (spellings.Count == 0)
        {
            return;
        }
        if (_minor >= FuseConstants.IncEpochMinor)
        {
            reply.Notify(FuseConstants.NotifyIncEpoch);
            return;
        }
        ThreadPool.QueueUserWorkItem(_ =>
        {
            try
            {
                foreach (var (parent, name) in spellings)
                {
                    byte[] bytes = Encoding.UTF8.GetBytes(name + "\0");
                    reply.Notify(FuseConstants.NotifyInvalEntry, new FuseNotifyInvalEntryOut { Parent = (ulong)parent, NameLen = (uint)(bytes.Length - 1) }, bytes);
                }
            }
            catch (Exception e)
            {
                // The worker that owned the writer may be gone at unmount; a stale spelling only costs a lookup.
                _logger.LogWarning(e, "Dropping stale spellings from the kernel's cache failed");
            }
        });
    }
}
