using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using WinReflink.Core.Interop;

namespace WinReflink.Core.Storage;

/// <summary>
/// Writes many runs at scattered offsets of an O_DIRECT file with Linux native AIO: one io_submit for
/// up to <see cref="MaxBatch"/> runs and one io_getevents for their completions, where a pwrite per run
/// costs a system call and a device notification each (on a VM a trap to the host per 4 KiB block).
/// The block layer plugs a submission, so a batch reaches the device with one notification.
/// <see cref="Write"/> returns only once every run it submitted has completed, so its callers'
/// buffers (the cache's windows) are free again on return.
/// </summary>
internal sealed unsafe class LinuxAioWriter : IDisposable
{
    public const int MaxBatch = 256;

    private readonly SafeFileHandle _file;
    private readonly int _fd;
    private nuint _context;
    private readonly LinuxAio.Iocb* _iocbs;
    private readonly LinuxAio.Iocb** _iocbPointers;
    private readonly LinuxAio.IoEvent* _events;
    /// <summary>The iocb and event arrays are one batch's at a time.</summary>
    private readonly object _gate = new();

    private LinuxAioWriter(SafeFileHandle file, nuint context)
    {
        _file = file;
        _fd = (int)file.DangerousGetHandle();
        _context = context;
        _iocbs = (LinuxAio.Iocb*)NativeMemory.AllocZeroed((nuint)(MaxBatch * sizeof(LinuxAio.Iocb)));
        _iocbPointers = (LinuxAio.Iocb**)NativeMemory.AllocZeroed((nuint)(MaxBatch * sizeof(LinuxAio.Iocb*)));
        _events = (LinuxAio.IoEvent*)NativeMemory.AllocZeroed((nuint)(MaxBatch * sizeof(LinuxAio.IoEvent)));
    }

    /// <summary>A writer for <paramref name="file"/> (which outlives it), or null where native AIO is not there (another OS or architecture, a kernel without it, or its limit reached).</summary>
    public static LinuxAioWriter? TryCreate(SafeFileHandle file)
    {
        if (!OperatingSystem.IsLinux() || !LinuxAio.Known)
        {
            return null;
        }
        nuint context = 0;
        return Libc.Syscall(LinuxAio.IoSetup, MaxBatch, (nint)(&context), 0, 0, 0, 0) == 0 ? new LinuxAioWriter(file, context) : null;
    }

    /// <summary>
    /// Writes each run (its buffers gathered, consecutive in the file) at its byte offset, and returns
    /// when all have landed. Throws IOException when any failed; the others may have landed.
    /// </summary>
    public void Write(IReadOnlyList<(long Offset, IReadOnlyList<ReadOnlyMemory<byte>> Buffers)> runs)
    {
        lock (_gate)
        {
            for (int start = 0; start < runs.Count; start += MaxBatch)
            {
                WriteBatch(runs, start, Math.Min(MaxBatch, runs.Count - start));
            }
        }
    }

    private void WriteBatch(IReadOnlyList<(long Offset, IReadOnlyList<ReadOnlyMemory<byte>> Buffers)> runs, int start, int count)
    {
        int vectors = 0;
        for (int i = 0; i < count; i++)
        {
            vectors += runs[start + i].Buffers.Count;
        }
        var iov = (LinuxAio.IoVec*)NativeMemory.Alloc((nuint)(vectors * sizeof(LinuxAio.IoVec)));
        var pins = new System.Buffers.MemoryHandle[vectors];
        try
        {
            int v = 0;
            for (int i = 0; i < count; i++)
            {
                var (offset, buffers) = runs[start + i];
                ulong bytes = 0;
                LinuxAio.IoVec* first = iov + v;
                foreach (var buffer in buffers)
                {
                    pins[v] = buffer.Pin();
                    iov[v] = new LinuxAio.IoVec { Base = pins[v].Pointer, Length = (nuint)buffer.Length };
                    bytes += (ulong)buffer.Length;
                    v++;
                }
                _iocbs[i] = new LinuxAio.Iocb
                {
                    Data = bytes,
                    Opcode = LinuxAio.CommandPwritev,
                    FileDescriptor = (uint)_fd,
                    Buffer = (ulong)first,
                    Bytes = (ulong)buffers.Count,
                    Offset = offset,
                };
                _iocbPointers[i] = _iocbs + i;
            }
            Submit(runs, start, count);
        }
        finally
        {
            foreach (var pin in pins)
            {
                pin.Dispose();
            }
            NativeMemory.Free(iov);
        }
    }

    /// <summary>
    /// Submits the first <paramref name="count"/> iocbs (runs from <paramref name="start"/>) and waits for
    /// all of them; the runs io_submit does not take (it ran out of resources) are written one by one.
    /// On return none is in flight.
    /// </summary>
    private void Submit(IReadOnlyList<(long Offset, IReadOnlyList<ReadOnlyMemory<byte>> Buffers)> runs, int start, int count)
    {
        int submitted = 0;
        while (submitted < count)
        {
            long n = Libc.Syscall(LinuxAio.IoSubmit, (nint)_context, count - submitted, (nint)(_iocbPointers + submitted), 0, 0, 0);
            if (n > 0)
            {
                submitted += (int)n;
            }
            else if (n == 0 || Libc.LastError != Eintr)
            {
                break;
            }
        }
        WaitFor(submitted);
        for (int i = submitted; i < count; i++)
        {
            var (offset, buffers) = runs[start + i];
            RandomAccess.Write(_file, buffers, offset);
        }
        for (int i = 0; i < submitted; i++)
        {
            var e = _events[i];
            if (e.Result < 0)
            {
                throw new IOException($"data file write failed: {Libc.Describe((int)-e.Result)}");
            }
            if ((ulong)e.Result != e.Data)
            {
                // Only at the end of the device or of the file system's space, which a write of
                // allocated blocks of a file of fixed size does not reach.
                throw new IOException($"data file short write: {e.Result} of {e.Data} bytes");
            }
        }
    }

    /// <summary>Waits for <paramref name="submitted"/> completions into <c>_events</c>.</summary>
    private void WaitFor(int submitted)
    {
        int completed = 0;
        while (completed < submitted)
        {
            long n = Libc.Syscall(LinuxAio.IoGetEvents, (nint)_context, submitted - completed, submitted - completed, (nint)(_events + completed), 0, 0);
            if (n >= 0)
            {
                completed += (int)n;
            }
            else if (Libc.LastError != Eintr)
            {
                // Writes still in flight read memory the caller would reuse: nothing safe is left to do.
                Environment.FailFast($"io_getevents failed with {submitted - completed} data file writes in flight: {Libc.Describe(Libc.LastError)}");
            }
        }
    }

    private const int Eintr = 4;

    public void Dispose()
    {
        if (_context != 0)
        {
            Libc.Syscall(LinuxAio.IoDestroy, (nint)_context, 0, 0, 0, 0, 0);
            _context = 0;
        }
        NativeMemory.Free(_iocbs);
        NativeMemory.Free(_iocbPointers);
        NativeMemory.Free(_events);
    }
}
