using System.CommandLine;
using System.Globalization;
using WinReflink.Cli.Infrastructure;
using WinReflink.Core;
using WinReflink.Fuse;
using WinReflink.Fuse.Mounting;

namespace WinReflink.Cli.Commands;

/// <summary>
/// `winreflink mount VOLUME MOUNTPOINT`: serves the volume at the directory in the foreground until it
/// is unmounted (here with Ctrl-C or SIGTERM, or `winreflink unmount` from another shell).
/// </summary>
internal static class MountCommand
{
    public static Command Create()
    {
        var volume = GlobalOptions.Volume("The volume folder (formatted with defaults if it does not exist)");
        var mountPoint = new Argument<string>("MOUNTPOINT") { Description = "Linux: an existing, empty directory. Windows: R:, * for the next free letter, or a directory that does not exist yet" };
        var cacheSize = GlobalOptions.Size("--cache-size", "ExtentCache size (default: a quarter of the memory)");
        var metadataCache = GlobalOptions.Size("--metadata-cache",
            "Memory for inodes, directory entries and extent maps read from meta.db; past it the least recently used are dropped and read again when touched (default: 64 MiB)");
        var allowOther = new Option<bool>("--allow-other") { Description = "Let other users use the mount (as root, or with user_allow_other in /etc/fuse.conf)" };
        var kernelCache = new Option<bool>("--kernel-cache") { Description = "Cache file data in the kernel page cache too (faster small reads of unshared files; clones no longer share RAM)" };
        var readOnly = new Option<bool>("--read-only") { Description = "Mount read-only" };
        var noRecognition = new Option<bool>("--no-copy-recognition")
        {
            Description = "Writes that repeat cached data are written, not shared with it (copies by read and write take space again), whatever the volume says",
        };
        var threads = new Option<int>("--threads")
        {
            Description = "Request threads",
            DefaultValueFactory = _ => Math.Max(2, Environment.ProcessorCount * 2),
        };
        threads.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 64)
            {
                r.AddError("--threads must be 1 to 64");
            }
        });
        var launcher = new Option<bool>("--launcher")
        {
            Description = @"Windows: started by the WinFsp launcher as `mount --launcher %1 %2`: VOLUME is \winreflink\NAME, served from --volumes-dir",
        };
        var volumesDir = new Option<string>("--volumes-dir") { Description = "Windows, with --launcher: the folder holding the volumes by name" };
        var background = new Option<bool>("--background")
        {
            Description = "Serve the volume from a process of its own and return once the mount answers (as mount -t fuse.winreflink does); `winreflink unmount` (or `umount` on Linux) ends it",
        };
        var command = new Command("mount", "Mount a volume at a directory (Linux, FUSE) or a drive letter (Windows, WinFsp) and serve it in the foreground")
        {
            volume, mountPoint, cacheSize, metadataCache, allowOther, kernelCache, readOnly, noRecognition, threads, launcher, volumesDir, background,
        };
        command.SetAction(parse => CommandRunner.Run(parse, context =>
        {
            if (OperatingSystem.IsWindows() && parse.GetValue(background))
            {
                return StartWindowsBackground(context, parse, volume, mountPoint, [cacheSize, metadataCache], kernelCache, readOnly, noRecognition, launcher);
            }
            if (OperatingSystem.IsWindows())
            {
                return WindowsMount.Run(context, new WindowsMountRequest(parse.GetRequiredValue(volume), parse.GetRequiredValue(mountPoint),
                    parse.GetValue(readOnly), parse.GetValue(kernelCache), parse.GetValue(cacheSize), parse.GetValue(launcher),
                    parse.GetValue(volumesDir) ?? WindowsMount.DefaultVolumesDir, !parse.GetValue(noRecognition), parse.GetValue(metadataCache)));
            }
            if (!OperatingSystem.IsLinux())
            {
                throw new CliException("mount is available on Linux (FUSE) and Windows (WinFsp)");
            }
            string folder = parse.GetRequiredValue(volume);
            string target = parse.GetRequiredValue(mountPoint);
            if (parse.GetValue(background))
            {
                var foreground = new List<string> { "mount", Path.GetFullPath(folder), Path.GetFullPath(target), "--threads", parse.GetValue(threads).ToString(CultureInfo.InvariantCulture) };
                ForwardSizes(foreground, parse, [cacheSize, metadataCache]);
                foreground.AddRange(new[] { (allowOther, "--allow-other"), (kernelCache, "--kernel-cache"), (readOnly, "--read-only"), (noRecognition, "--no-copy-recognition"), (GlobalOptions.Verbose, "--verbose") }
                    .Where(o => parse.GetValue(o.Item1)).Select(o => o.Item2));
                try
                {
                    var (pid, log) = BackgroundMount.Start(foreground, target);
                    context.Out.WriteLine($"mounted {Path.GetFullPath(folder)} at {Path.GetFullPath(target)} in the background (process {pid}, log {log}); `umount {Path.GetFullPath(target)}` or `winreflink unmount` ends it");
                    return ExitCodes.Success;
                }
                catch (MountException e)
                {
                    throw new CliException(e.Message);
                }
            }
            // A bad mountpoint must not leave a freshly formatted volume behind.
            try
            {
                Mountpoint.Validate(target);
            }
            catch (MountException e)
            {
                throw new CliException(e.Message);
            }
            if (!Directory.Exists(folder) && !File.Exists(folder))
            {
                FileSystem.Format(folder, new FormatOptions());
                context.Out.WriteLine($"formatted a new volume at {Path.GetFullPath(folder)} ({ByteSize.Format(FormatOptions.DefaultSizeBytes)}, {FormatOptions.DefaultBlockSize}-byte blocks, case-insensitive)");
            }
            using var fs = FileSystem.Open(folder, new OpenOptions
            {
                CacheSizeBytes = parse.GetValue(cacheSize),
                MetadataCacheBytes = parse.GetValue(metadataCache),
                ReadOnly = parse.GetValue(readOnly),
                CopyRecognition = parse.GetValue(noRecognition) ? false : null,
                LoggerFactory = context.LoggerFactory,
            });
            var options = new FuseMountOptions
            {
                AllowOther = parse.GetValue(allowOther),
                KernelCache = parse.GetValue(kernelCache),
                ReadOnly = parse.GetValue(readOnly),
                Threads = parse.GetValue(threads),
            };
            try
            {
                FuseHost.Run(fs, target, options, context.LoggerFactory, mp =>
                {
                    context.Out.WriteLine($"mounted {fs.VolumePath} at {mp} (Ctrl-C or `winreflink unmount {mp}` to unmount)");
                    context.Out.Flush();
                });
            }
            catch (MountException e)
            {
                throw new CliException(e.Message);
            }
            // Closing commits what is left; a failure then, or earlier, means changes were lost.
            fs.Dispose();
            if (fs.Failure is { } failure)
            {
                throw new CliException($"unmounted {Path.GetFullPath(target)}, but the volume failed while mounted: {failure}; it holds its last successful commit and changes after it are lost");
            }
            context.Out.WriteLine($"unmounted {Path.GetFullPath(target)}; volume closed cleanly");
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>Windows' --background: the same foreground mount in a detached process, as on Linux.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    private static int StartWindowsBackground(CliContext context, ParseResult parse, Argument<string> volume, Argument<string> mountPoint,
        Option<long?>[] sizes, Option<bool> kernelCache, Option<bool> readOnly, Option<bool> noRecognition, Option<bool> launcher)
    {
        string point = parse.GetRequiredValue(mountPoint);
        if (parse.GetValue(launcher))
        {
            throw new CliException("--background is not for the WinFsp launcher, which keeps the mount process itself");
        }
        if (point is "*" or "*:")
        {
            // The letter WinFsp picks is known only inside the mount; the caller must know what to unmount.
            throw new CliException("--background needs a drive letter such as R: or a directory, not *");
        }
        string folder = Path.GetFullPath(parse.GetRequiredValue(volume));
        string target = point.Length == 2 && point[1] == ':' ? point.ToUpperInvariant() : Path.GetFullPath(point);
        var foreground = new List<string> { "mount", folder, target };
        ForwardSizes(foreground, parse, sizes);
        foreground.AddRange(new[] { (kernelCache, "--kernel-cache"), (readOnly, "--read-only"), (noRecognition, "--no-copy-recognition"), (GlobalOptions.Verbose, "--verbose") }
            .Where(o => parse.GetValue(o.Item1)).Select(o => o.Item2));
        var (pid, log) = WindowsBackgroundMount.Start(foreground, target);
        context.Out.WriteLine($"mounted {folder} at {target} in the background (process {pid}, log {log}); `winreflink unmount {target}` ends it");
        return ExitCodes.Success;
    }

    /// <summary>The size options given, in bytes, for the foreground mount a --background one starts.</summary>
    private static void ForwardSizes(List<string> foreground, ParseResult parse, Option<long?>[] sizes)
    {
        foreach (var size in sizes)
        {
            if (parse.GetValue(size) is long bytes)
            {
                foreground.AddRange([size.Name, bytes.ToString(CultureInfo.InvariantCulture)]);
            }
        }
    }
}
