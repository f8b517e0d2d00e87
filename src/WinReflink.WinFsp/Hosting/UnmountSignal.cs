using System.Runtime.Versioning;

namespace WinReflink.WinFsp.Hosting;

/// <summary>
/// How `winreflink unmount R:` reaches the process serving R:: a named manual-reset event
/// `Local\WinReflink.Unmount.R` (for a directory mount, the full path upper-cased with `\` as `/`) that
/// the mount creates and waits on. Local\: visible to the user's own session, as the console mount is.
/// </summary>
[SupportedOSPlatform("windows")]
public static class UnmountSignal
{
    public static string Name(string mountPoint)
    {
        string point = mountPoint.TrimEnd('\\');
        string key = point.Length == 2 && point[1] == ':' ? point[..1] : Path.GetFullPath(point);
        return @"Local\WinReflink.Unmount." + key.ToUpperInvariant().Replace('\\', '/');
    }

    /// <summary>Created by the mount; fails when another mount already owns the name.</summary>
    public static EventWaitHandle Create(string mountPoint)
    {
        var handle = new EventWaitHandle(false, EventResetMode.ManualReset, Name(mountPoint), out bool createdNew);
        if (!createdNew)
        {
            handle.Dispose();
            throw new WinFspMountException($"another WinReflink mount already serves {mountPoint}");
        }
        return handle;
    }

    /// <summary>Signals the mount at <paramref name="mountPoint"/>; false when no WinReflink mount serves it.</summary>
    public static bool TrySignal(string mountPoint)
    {
        if (!EventWaitHandle.TryOpenExisting(Name(mountPoint), out var handle))
        {
            return false;
        }
        using (handle)
        {
            handle.Set();
        }
        return true;
    }
}
