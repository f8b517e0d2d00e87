using System.Runtime.Versioning;
using WinReflink.Cli.Infrastructure;
using WinReflink.Core;
using WinReflink.WinFsp.Hosting;
using WinReflink.WinFsp.Interop;

namespace WinReflink.Cli.Commands;

/// <summary>What `winreflink mount` was asked on Windows.</summary>
internal sealed record WindowsMountRequest(string Volume, string MountPoint, bool ReadOnly, bool KernelCache, long? CacheSize, bool Launcher, string VolumesDir, bool CopyRecognition = true,
    long? MetadataCacheSize = null);

/// <summary>
/// `winreflink mount VOLUME R:|*|DIR` on Windows: the volume served through WinFsp until Ctrl+C, Ctrl+Break,
/// `winreflink unmount`, or WinFsp stopping it; then the dispatcher stops and the volume commits and closes.
/// The launcher form (`--launcher %1 %2`, winfsp.md 6.1) takes `\winreflink\NAME` and the drive, and serves
/// the volume NAME under --volumes-dir as a network volume with that UNC prefix.
/// </summary>
[SupportedOSPlatform("windows")]
internal static class WindowsMount
{
    public const string LauncherClass = "winreflink";

    public static string DefaultVolumesDir =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "WinReflink", "Volumes");

    public static int Run(CliContext context, WindowsMountRequest request)
    {
        string? prefix = null;
        string folder = request.Volume;
        if (request.Launcher)
        {
            (prefix, folder) = LauncherVolume(request.Volume, request.VolumesDir);
        }
        string? mountPoint = MountPointOf(request.MountPoint);
        WinFspApi api;
        try
        {
            api = WinFspLibrary.Load();
        }
        catch (WinFspLoadException e)
        {
            throw new CliException(e.Message);
        }
        // A known mount point is claimed before anything is formatted or mounted, so a second mount of it changes nothing.
        EventWaitHandle? unmount;
        try
        {
            unmount = mountPoint == null ? null : UnmountSignal.Create(mountPoint);
        }
        catch (WinFspMountException e)
        {
            throw new CliException(e.Message);
        }
        try
        {
            return Serve(context, request, api, folder, mountPoint, prefix, ref unmount);
        }
        finally
        {
            unmount?.Dispose();
        }
    }

    private static int Serve(CliContext context, WindowsMountRequest request, WinFspApi api, string folder, string? mountPoint, string? prefix,
        ref EventWaitHandle? unmount)
    {
        if (!request.Launcher && !Directory.Exists(folder) && !File.Exists(folder))
        {
            FileSystem.Format(folder, new FormatOptions());
            context.Out.WriteLine($"formatted a new volume at {Path.GetFullPath(folder)} ({ByteSize.Format(FormatOptions.DefaultSizeBytes)}, {FormatOptions.DefaultBlockSize}-byte blocks, case-insensitive)");
        }
        if (!MountedPaths.IsVolumeFolder(folder))
        {
            throw new CliException($"{folder} is not a WinReflink volume (no meta.db in it)");
        }
        using var fs = FileSystem.Open(folder, new OpenOptions
        {
            CacheSizeBytes = request.CacheSize,
            MetadataCacheBytes = request.MetadataCacheSize,
            ReadOnly = request.ReadOnly,
            CopyRecognition = request.CopyRecognition ? null : false,
            LoggerFactory = context.LoggerFactory,
        });
        var options = new WinFspMountOptions { KernelCache = request.KernelCache };
        using var stop = new ManualResetEvent(false);
        using var closed = new ManualResetEvent(false);
        void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            // Ctrl+Break may not be cancellable: hold the handler until the volume has committed and closed.
            e.Cancel = true;
            try
            {
                stop.Set();
                closed.WaitOne(TimeSpan.FromSeconds(60));
            }
            catch (ObjectDisposedException)
            {
                // The mount had already ended and let go of its events: nothing is left to stop.
            }
        }
        Console.CancelKeyPress += OnCancel;
        try
        {
            try
            {
                using var host = WinFspHost.Mount(api, fs, mountPoint, options, context.LoggerFactory, prefix);
                host.Stopped += _ => stop.Set();
                unmount ??= UnmountSignal.Create(host.MountPoint);
                context.Out.WriteLine($"mounted {fs.VolumePath} at {host.MountPoint} (Ctrl+C or `winreflink unmount {host.MountPoint}` to unmount)");
                context.Out.Flush();
                WindowsBackgroundMount.SignalReady();
                WaitHandle.WaitAny([stop, unmount]);
            }
            catch (WinFspMountException e)
            {
                throw new CliException($"cannot mount {fs.VolumePath}: {e.Message}");
            }
            fs.Dispose();
            if (fs.Failure is { } failure)
            {
                throw new CliException($"unmounted {request.MountPoint}, but the volume failed while mounted: {failure}; it holds its last successful commit and changes after it are lost");
            }
            context.Out.WriteLine($"unmounted {fs.VolumePath}; volume closed cleanly");
            return ExitCodes.Success;
        }
        finally
        {
            closed.Set();
            Console.CancelKeyPress -= OnCancel;
        }
    }

    /// <summary>`*` is the first free letter (NULL to WinFsp); `R` or `R:` a drive that must be free; anything else a directory WinFsp creates.</summary>
    private static string? MountPointOf(string text)
    {
        if (text is "*" or "*:")
        {
            return null;
        }
        if (text.Length is 1 or 2 && char.IsAsciiLetter(text[0]) && (text.Length == 1 || text[1] == ':'))
        {
            string drive = char.ToUpperInvariant(text[0]) + ":";
            if (Environment.GetLogicalDrives().Any(d => d.StartsWith(drive, StringComparison.OrdinalIgnoreCase)))
            {
                throw new CliException($"drive {drive} is already in use; choose a free letter or * for the next free one");
            }
            return drive;
        }
        string full = Path.GetFullPath(text);
        if (Directory.Exists(full) || File.Exists(full))
        {
            throw new CliException($"{full} already exists; a WinFsp directory mount point must not exist yet (WinFsp creates it)");
        }
        return full;
    }

    /// <summary>%1 of the launcher is `\winreflink\NAME` (6.1): the UNC prefix, and the volume NAME under the volumes folder.</summary>
    private static (string Prefix, string Folder) LauncherVolume(string argument, string volumesDir)
    {
        string[] parts = argument.Split('\\', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2 || !parts[0].Equals(LauncherClass, StringComparison.OrdinalIgnoreCase) || parts[1] is "." or ".."
            || parts[1].IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new CliException($"the launcher passed {argument}; expected \\{LauncherClass}\\NAME with NAME a volume folder under {volumesDir}");
        }
        return ($"\\{LauncherClass}\\{parts[1]}", Path.Combine(volumesDir, parts[1]));
    }
}
