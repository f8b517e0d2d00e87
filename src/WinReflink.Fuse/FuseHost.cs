using Microsoft.Extensions.Logging;
using System.Runtime.InteropServices;
using WinReflink.Core;
using WinReflink.Core.Interop;
using WinReflink.Fuse.Interop;
using WinReflink.Fuse.Mounting;
using WinReflink.Fuse.Session;

namespace WinReflink.Fuse;

/// <summary>
/// Runs a volume as a FUSE mount in the foreground: mounts, serves requests until the mount goes
/// away (unmount from another shell, or Ctrl-C/SIGTERM here), then commits and closes the volume.
/// </summary>
public static class FuseHost
{
    /// <summary>
    /// Mounts and serves; returns when unmounted. A volume the engine opened read-only (found damaged)
    /// is mounted read-only, with the reason logged. Throws <see cref="MountException"/> for mount problems.
    /// </summary>
    public static void Run(FileSystem fs, string mountPoint, FuseMountOptions options, ILoggerFactory loggers, Action<string>? ready = null)
    {
        var logger = loggers.CreateLogger("WinReflink.Fuse");
        if (fs.IsReadOnly && !options.ReadOnly)
        {
            // The engine opened a damaged volume read-only: the kernel mount says so too (ro in
            // /proc/mounts, EROFS from the kernel before a request is made).
            options = options with { ReadOnly = true };
            logger.LogWarning("Mounting {Volume} read-only: {Reason}", fs.VolumePath,
                fs.Damage != null ? $"the volume is damaged ({fs.Damage}); `winreflink check` lists every problem and `winreflink check --repair` fixes what it can" : "the volume cannot take changes");
        }
        var mount = KernelMount.Mount(mountPoint, "winreflink:" + fs.VolumePath, options);
        var operations = new FuseOperations(fs, options, logger);
        var session = new FuseSession(mount.Fd, operations, logger);
        int signalled = 0;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Exchange(ref signalled, 1) == 1)
            {
                return;
            }
            ThreadPool.QueueUserWorkItem(_ =>
            {
                try
                {
                    UnmountForSignal(mount.MountPoint, logger);
                }
                catch (Exception e)
                {
                    logger.LogError(e, "Unmount of {MountPoint} after a signal failed", mount.MountPoint);
                }
            });
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        try
        {
            if (options.KernelCache)
            {
                RaiseReadahead(mount.MountPoint, logger);
            }
            ready?.Invoke(mount.MountPoint);
            session.Run(options.Threads);
        }
        finally
        {
            // No FORGET or RELEASE comes after the connection ends: drop them all so orphans are reclaimed now.
            try
            {
                operations.EndSession();
            }
            catch (Exception e)
            {
                // What is left stays an orphan in meta.db and is reclaimed at the next open.
                logger.LogError(e, "Releasing the kernel's references at the end of the session failed");
            }
            Libc.Close(mount.Fd);
            fs.Sync();
        }
    }

    /// <summary>Ctrl-C or SIGTERM: unmount; when files are still open, detach lazily and finish when they close.</summary>
    private static void UnmountForSignal(string mountPoint, ILogger logger)
    {
        try
        {
            KernelMount.Unmount(mountPoint, lazy: false);
        }
        catch (MountException e)
        {
            logger.LogWarning("{Message}; detaching lazily: the volume closes when the last file on it is closed", e.Message);
            try
            {
                KernelMount.Unmount(mountPoint, lazy: true);
            }
            catch (MountException e2)
            {
                logger.LogError("Unmount of {MountPoint} failed: {Message}", mountPoint, e2.Message);
            }
        }
    }

    /// <summary>With the page cache in use, larger readahead turns 128 KiB READs into 1 MiB ones (root only).</summary>
    private static void RaiseReadahead(string mountPoint, ILogger logger)
    {
        string? dev = Mountpoint.DeviceOf(mountPoint);
        string path = $"/sys/class/bdi/{dev}/read_ahead_kb";
        if (dev == null || !File.Exists(path))
        {
            return;
        }
        try
        {
            File.WriteAllText(path, "1024");
        }
        catch (UnauthorizedAccessException)
        {
            logger.LogDebug("Cannot raise readahead of {Path} (not root)", path);
        }
        catch (IOException e)
        {
            logger.LogDebug("Cannot raise readahead of {Path}: {Message}", path, e.Message);
        }
    }

    public static void Unmount(string mountPoint, bool lazy) => KernelMount.Unmount(mountPoint, lazy);
}
