using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using WinReflink.Core.Interop;

namespace WinReflink.Core.Storage;

/// <summary>
/// The volume's data.img, opened unbuffered (O_DIRECT on Linux, FILE_FLAG_NO_BUFFERING on Windows)
/// so the host OS keeps no second copy of what the ExtentCache holds. Falls back to buffered I/O,
/// with a warning, on host filesystems that refuse unbuffered I/O (tmpfs, some network shares).
/// </summary>
internal sealed class FileBlockStore : BlockStore
{
    private const FileOptions WindowsNoBuffering = (FileOptions)0x20000000;

    private readonly SafeFileHandle _handle;
    private readonly FileStream _flushStream;
    /// <summary>Null when the file is buffered (the page cache absorbs each write) or native AIO is missing.</summary>
    private readonly LinuxAioWriter? _batchWriter;

    public bool Unbuffered { get; }

    public FileBlockStore(string path, int blockSize, long capacityBlocks, ILogger logger)
        : base(blockSize, capacityBlocks)
    {
        (_handle, Unbuffered) = OpenUnbuffered(path, logger);
        _flushStream = new FileStream(_handle, FileAccess.ReadWrite, 0);
        _batchWriter = Unbuffered ? LinuxAioWriter.TryCreate(_handle) : null;
    }

    private static (SafeFileHandle, bool) OpenUnbuffered(string path, ILogger logger)
    {
        SafeFileHandle? handle = null;
        string reason;
        string probeError = "";
        if (OperatingSystem.IsWindows())
        {
            try
            {
                handle = File.OpenHandle(path, System.IO.FileMode.Open, FileAccess.ReadWrite, FileShare.Read, WindowsNoBuffering);
                reason = "";
            }
            catch (IOException e)
            {
                reason = e.Message;
            }
        }
        else
        {
            int fd = Libc.Open(path, Libc.ORdWr | Libc.OCloExec | Libc.ODirect, 0);
            if (fd >= 0)
            {
                handle = new SafeFileHandle(fd, ownsHandle: true);
                reason = "";
            }
            else
            {
                reason = $"open with O_DIRECT failed with errno {Marshal.GetLastPInvokeError()}";
            }
        }
        if (handle != null && ProbeRead(handle, out probeError))
        {
            return (handle, true);
        }
        if (handle != null)
        {
            reason = probeError;
            handle.Dispose();
        }
        logger.LogWarning("Data file {Path} cannot be opened unbuffered ({Reason}); using buffered I/O, so the host OS cache will hold a second copy of data", path, reason);
        return (File.OpenHandle(path, System.IO.FileMode.Open, FileAccess.ReadWrite, FileShare.Read), false);
    }

    private static unsafe bool ProbeRead(SafeFileHandle handle, out string error)
    {
        void* buffer = NativeMemory.AlignedAlloc(Alignment, Alignment);
        try
        {
            RandomAccess.Read(handle, new Span<byte>(buffer, Alignment), 0);
            error = "";
            return true;
        }
        catch (IOException e)
        {
            error = e.Message;
            return false;
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    protected override void ReadCore(long offset, Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int n = RandomAccess.Read(_handle, destination[done..], offset + done);
            if (n <= 0)
            {
                // Past the end of a sparse file that was not fully extended: the blocks read as zeros.
                destination[done..].Clear();
                return;
            }
            done += n;
        }
    }

    protected override void ReadCore(long offset, IReadOnlyList<Memory<byte>> buffers)
    {
        if (buffers.Count == 1)
        {
            ReadCore(offset, buffers[0].Span);
            return;
        }
        long total = buffers.Sum(b => (long)b.Length);
        long n = RandomAccess.Read(_handle, buffers, offset);
        if (n < total)
        {
            // A short read (past the end of a sparse file, or interrupted): finish buffer by buffer.
            long at = 0;
            foreach (var b in buffers)
            {
                if (at + b.Length > n)
                {
                    int skip = (int)Math.Max(0, n - at);
                    ReadCore(offset + at + skip, b.Span[skip..]);
                }
                at += b.Length;
            }
        }
    }

    protected override void WriteCore(long offset, IReadOnlyList<ReadOnlyMemory<byte>> buffers)
    {
        if (buffers.Count == 1)
        {
            RandomAccess.Write(_handle, buffers[0].Span, offset);
        }
        else
        {
            RandomAccess.Write(_handle, buffers, offset);
        }
    }

    protected override void WriteRunsCore(IReadOnlyList<(long Offset, IReadOnlyList<ReadOnlyMemory<byte>> Buffers)> runs)
    {
        if (_batchWriter == null || runs.Count == 1)
        {
            base.WriteRunsCore(runs);
            return;
        }
        _batchWriter.Write(runs);
    }

    public override void Flush() => _flushStream.Flush(flushToDisk: true);

    public override void Dispose()
    {
        _batchWriter?.Dispose();
        _flushStream.Dispose();
        _handle.Dispose();
        base.Dispose();
    }
}
