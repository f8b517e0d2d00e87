using System.Globalization;
using Microsoft.Extensions.Logging;
using WinReflink.Core;
using WinReflink.Core.Volume;
using WinReflink.Fuse;
using WinReflink.Fuse.Mounting;

namespace WinReflink.Cli.Commands;

/// <summary>`winreflink mount VOLUME MOUNTPOINT` and `winreflink unmount MOUNTPOINT`.</summary>
internal static class MountCommands
{
    public const string MountUsage = "usage: winreflink mount VOLUME MOUNTPOINT [--cache-size SIZE] [--allow-other] [--kernel-cache] [--read-only] [--threads N] [--verbose]";
    public const string UnmountUsage = "usage: winreflink unmount MOUNTPOINT [--lazy]";

    public static int Mount(string[] args)
    {
        var positional = new List<string>();
        long? cacheSize = null;
        bool allowOther = false, kernelCache = false, readOnly = false, verbose = false;
        int threads = Math.Max(2, Environment.ProcessorCount * 2);
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--cache-size" when i + 1 < args.Length:
                    cacheSize = ParseSize(args[++i]);
                    if (cacheSize == null)
                    {
                        return Fail($"invalid --cache-size '{args[i]}': use a number with an optional K, M, G or T suffix", 2);
                    }
                    break;
                case "--threads" when i + 1 < args.Length:
                    if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out threads) || threads < 1 || threads > 64)
                    {
                        return Fail($"invalid --threads '{args[i]}': use 1 to 64", 2);
                    }
                    break;
                case "--allow-other": allowOther = true; break;
                case "--kernel-cache": kernelCache = true; break;
                case "--read-only": readOnly = true; break;
                case "--verbose": verbose = true; break;
                case "-h" or "--help":
                    Console.WriteLine(MountUsage);
                    return 0;
                default:
                    if (args[i].StartsWith('-'))
                    {
                        return Fail($"unknown option '{args[i]}'\n{MountUsage}", 2);
                    }
                    positional.Add(args[i]);
                    break;
            }
        }
        if (positional.Count != 2)
        {
            return Fail(MountUsage, 2);
        }
        string volume = positional[0], mountPoint = positional[1];
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter(_ => true).SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning));
        try
        {
            if (!Directory.Exists(volume) && !File.Exists(volume))
            {
                FileSystem.Format(volume, new FormatOptions());
                Console.WriteLine($"formatted a new volume at {Path.GetFullPath(volume)} ({FormatOptions.DefaultSizeBytes >> 30} GiB, block size {FormatOptions.DefaultBlockSize}, case-insensitive)");
            }
            using var fs = FileSystem.Open(volume, new OpenOptions { CacheSizeBytes = cacheSize, ReadOnly = readOnly, LoggerFactory = loggers });
            var options = new FuseMountOptions { AllowOther = allowOther, KernelCache = kernelCache, ReadOnly = readOnly, Threads = threads };
            FuseHost.Run(fs, mountPoint, options, loggers, mp =>
            {
                Console.WriteLine($"mounted {fs.VolumePath} at {mp} (Ctrl-C or `winreflink unmount {mp}` to unmount)");
                Console.Out.Flush();
            });
            Console.WriteLine($"unmounted {Path.GetFullPath(mountPoint)}; volume closed cleanly");
            return 0;
        }
        catch (VolumeException e)
        {
            return Fail(e.Message, 1);
        }
        catch (MountException e)
        {
            return Fail(e.Message, 1);
        }
    }

    public static int Unmount(string[] args)
    {
        bool lazy = args.Contains("--lazy");
        var positional = args.Skip(1).Where(a => !a.StartsWith('-')).ToList();
        if (args.Any(a => a is "-h" or "--help"))
        {
            Console.WriteLine(UnmountUsage);
            return 0;
        }
        if (positional.Count != 1 || args.Skip(1).Any(a => a.StartsWith('-') && a != "--lazy"))
        {
            return Fail(UnmountUsage, 2);
        }
        try
        {
            FuseHost.Unmount(positional[0], lazy);
            return 0;
        }
        catch (MountException e)
        {
            return Fail(e.Message, 1);
        }
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"winreflink: {message}");
        return code;
    }

    private static long? ParseSize(string s)
    {
        long mult = 1;
        char last = char.ToUpperInvariant(s[^1]);
        int shift = last switch { 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, _ => 0 };
        if (shift > 0)
        {
            s = s[..^1];
            mult = 1L << shift;
        }
        return long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0 ? n * mult : null;
    }
}
