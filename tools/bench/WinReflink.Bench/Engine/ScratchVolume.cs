using System.Diagnostics;
using Microsoft.Extensions.Logging;
using WinReflink.Bench.Host;
using WinReflink.Core;
using WinReflink.Tests.Engine;

namespace WinReflink.Bench.Engine;

/// <summary>
/// A volume formatted for one benchmark in the scratch folder and deleted with it. The group-commit
/// timer is off so that no commit lands inside a timed section; benchmarks call Sync themselves.
/// </summary>
internal sealed class ScratchVolume : IDisposable
{
    private readonly OpenOptions _openOptions;
    private FileSystem? _fs;

    private ScratchVolume(string folder, OpenOptions openOptions)
    {
        Folder = folder;
        _openOptions = openOptions;
        _fs = FileSystem.Open(folder, openOptions);
    }

    public string Folder { get; }
    public FileSystem Fs => _fs ?? throw new ObjectDisposedException(Folder);

    public static ScratchVolume Create(BenchOptions options, ILoggerFactory loggers, string name, long capacityBytes, long? dirtyLimitBytes = null)
    {
        string folder = Path.Combine(options.Directory, name + ".wrl");
        FileSystem.Format(folder, new FormatOptions { SizeBytes = capacityBytes });
        var open = new OpenOptions
        {
            CommitInterval = TimeSpan.Zero,
            CacheSizeBytes = options.CacheBytes,
            DirtyLimitBytes = dirtyLimitBytes ?? options.DirtyLimitBytes,
            LoggerFactory = loggers,
        };
        try
        {
            return new ScratchVolume(folder, open);
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Unmounts and mounts again: the cache starts empty, as after a reboot. Returns the time the engine
    /// took (Dispose and Open), without the bench's own return of the freed cache memory in between.
    /// </summary>
    public TimeSpan Reopen()
    {
        var sw = Stopwatch.StartNew();
        _fs?.Dispose();
        _fs = null;
        var closed = sw.Elapsed;
        ProcessMemory.ReleaseFreed();
        sw.Restart();
        _fs = FileSystem.Open(Folder, _openOptions);
        return closed + sw.Elapsed;
    }

    public long CreateFile(string name)
    {
        EngineCall.Check(Fs.Create(FileSystem.RootIno, name, new CreateRequest(0x1A4, 0, 0), out var attributes), "create " + name);
        return attributes.Ino;
    }

    public int ExtentCount(long ino)
    {
        EngineCall.Check(Fs.GetExtents(ino, out var extents), "list extents");
        return extents.Count;
    }

    public void Sync() => EngineCall.Check(Fs.Sync(), "sync");

    public void Dispose()
    {
        _fs?.Dispose();
        _fs = null;
        ProcessMemory.ReleaseFreed();
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }
}
