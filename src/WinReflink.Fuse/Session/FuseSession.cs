using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using WinReflink.Fuse.Interop;

namespace WinReflink.Fuse.Session;

/// <summary>
/// The request loop: worker threads each read one request at a time from /dev/fuse into their own
/// buffer and answer it. Ends when the kernel says the connection is gone (ENODEV after unmount).
/// </summary>
internal sealed unsafe class FuseSession
{
    private readonly int _fd;
    private readonly FuseOperations _operations;
    private readonly ILogger _logger;
    private volatile bool _stopping;

    public FuseSession(int fd, FuseOperations operations, ILogger logger)
    {
        _fd = fd;
        _operations = operations;
        _logger = logger;
    }

    public void Run(int threads)
    {
        var workers = new List<Thread>();
        for (int i = 0; i < threads; i++)
        {
            var t = new Thread(Worker) { IsBackground = true, Name = $"fuse-{i}" };
            t.Start();
            workers.Add(t);
        }
        foreach (var t in workers)
        {
            t.Join();
        }
    }

    /// <summary>Reads and answers requests until the connection ends. No exception leaves it: a worker that died would leave its requests unanswered.</summary>
    private void Worker()
    {
        byte* buffer = (byte*)NativeMemory.AlignedAlloc(FuseConstants.RequestBufferBytes, 4096);
        using var reply = new ReplyWriter(_fd, _logger);
        try
        {
            while (!_stopping)
            {
                nint n = LinuxNative.Read(_fd, buffer, FuseConstants.RequestBufferBytes);
                if (n < 0)
                {
                    int err = LinuxNative.LastError;
                    if (err is LinuxNative.EIntr or LinuxNative.EAgain or LinuxNative.ENoEnt)
                    {
                        continue;
                    }
                    if (err != LinuxNative.ENoDev)
                    {
                        _logger.LogError("Reading /dev/fuse failed: {Error}", LinuxNative.Describe(err));
                    }
                    _stopping = true;
                    break;
                }
                if (!Serve(buffer, (int)n, reply))
                {
                    _stopping = true;
                }
            }
        }
        catch (Exception e)
        {
            // Only the read loop itself can get here (Serve catches everything); end the session rather than spin.
            _logger.LogCritical(e, "FUSE worker {Thread} failed; ending the session", Environment.CurrentManagedThreadId);
            _stopping = true;
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    /// <summary>Answers one request as read; false when the session should end.</summary>
    internal bool Serve(byte* buffer, int bytesRead, ReplyWriter reply)
    {
        try
        {
            string? problem = FuseRequest.Frame(buffer, bytesRead, out var request);
            if (problem != null)
            {
                RefuseMalformed(buffer, bytesRead, problem, reply);
                return true;
            }
            return _operations.Handle(request, reply);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "FUSE request handling failed outside any operation");
            return true;
        }
    }

    /// <summary>A request too badly framed to dispatch: logged, and answered EINVAL when its unique id can be read.</summary>
    private void RefuseMalformed(byte* buffer, int bytesRead, string problem, ReplyWriter reply)
    {
        const int uniqueOffset = 8;
        var opcode = bytesRead >= uniqueOffset ? ((FuseInHeader*)buffer)->Opcode : 0;
        ulong unique = bytesRead >= uniqueOffset + sizeof(ulong) ? *(ulong*)(buffer + uniqueOffset) : 0;
        _logger.LogWarning("Malformed FUSE request {Unique} (opcode {Opcode}): {Problem}", unique, opcode, problem);
        if (unique != 0 && !FuseRequest.NeedsNoReply(opcode))
        {
            reply.Begin(unique);
            reply.Error(unique, LinuxNative.EInval);
        }
    }
}
