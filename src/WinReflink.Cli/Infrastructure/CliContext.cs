using System.Diagnostics;
using Microsoft.Extensions.Logging;
using WinReflink.Core;

namespace WinReflink.Cli.Infrastructure;

/// <summary>What a command runs with: its output streams, logging, and the way volumes are opened.</summary>
internal sealed class CliContext
{
    public CliContext(TextWriter output, TextWriter error, ILoggerFactory loggerFactory, bool errorIsTerminal)
    {
        Out = output;
        Error = error;
        LoggerFactory = loggerFactory;
        Logger = loggerFactory.CreateLogger("winreflink");
        ErrorIsTerminal = errorIsTerminal;
    }

    public TextWriter Out { get; }
    public TextWriter Error { get; }
    public ILoggerFactory LoggerFactory { get; }
    public ILogger Logger { get; }

    /// <summary>Whether stderr is a terminal, where progress is shown without being asked for.</summary>
    public bool ErrorIsTerminal { get; }

    private readonly List<FileSystem> _opened = new();

    /// <summary>The first failure of a volume this command opened (read after the command closed it), or null.</summary>
    public string? VolumeFailure => _opened.Select(v => v.Failure).FirstOrDefault(f => f != null);

    /// <summary>
    /// Opens a volume with the default commit interval; the caller disposes it, which commits. Bad
    /// volumes throw <see cref="WinReflink.Core.Volume.VolumeException"/> with a one-line reason.
    /// </summary>
    public FileSystem OpenVolume(string folder, bool readOnly = false, bool repairing = false, bool? copyRecognition = null, long? cacheSizeBytes = null)
    {
        var watch = Stopwatch.StartNew();
        var fs = FileSystem.Open(folder, new OpenOptions { ReadOnly = readOnly, Repairing = repairing, CopyRecognition = copyRecognition, CacheSizeBytes = cacheSizeBytes, LoggerFactory = LoggerFactory });
        _opened.Add(fs);
        Logger.LogDebug("Opened volume {Volume}{Mode} in {Ms} ms", fs.VolumePath, readOnly ? " read-only" : "", watch.ElapsedMilliseconds);
        return fs;
    }
}
