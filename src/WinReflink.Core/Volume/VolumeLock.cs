using System.Diagnostics;

namespace WinReflink.Core.Volume;

/// <summary>
/// The exclusive lock that keeps a volume to one process: an OS lock on the volume's lock file
/// (flock on Unix, a share-none handle on Windows), with the holder's pid and command line in a
/// side file so a second opener can be told who has it.
/// </summary>
internal sealed class VolumeLock : IDisposable
{
    private readonly FileStream _lock;
    private readonly string _ownerFile;

    private VolumeLock(FileStream lockStream, string ownerFile)
    {
        _lock = lockStream;
        _ownerFile = ownerFile;
    }

    public static VolumeLock Acquire(VolumeLayout layout)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(layout.LockFile, System.IO.FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new VolumeException($"volume {layout.Folder} is in use by {DescribeOwner(layout)}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new VolumeException($"cannot lock volume {layout.Folder}: {e.Message}");
        }
        try
        {
            using var self = Process.GetCurrentProcess();
            File.WriteAllText(layout.LockOwnerFile, $"{Environment.ProcessId} {self.ProcessName} on {Environment.MachineName}\n");
        }
        catch (IOException)
        {
            // The owner file only names the holder for a second opener; a full host disk must not
            // keep the volume from opening (nor leave the lock held, as an escaping exception did).
        }
        return new VolumeLock(stream, layout.LockOwnerFile);
    }

    private static string DescribeOwner(VolumeLayout layout)
    {
        try
        {
            string text = File.ReadAllText(layout.LockOwnerFile).Trim();
            string[] parts = text.Split(' ', 2);
            return parts.Length == 2 ? $"process {parts[0]} ({parts[1]})" : "another process";
        }
        catch (IOException)
        {
            return "another process";
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_ownerFile);
        }
        catch (IOException)
        {
            // The owner file is advisory; a stale one is overwritten by the next holder.
        }
        _lock.Dispose();
    }
}
