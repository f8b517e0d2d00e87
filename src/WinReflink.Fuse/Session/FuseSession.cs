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

    private void Worker()
    {
        byte* buffer = (byte*)NativeMemory.AlignedAlloc(FuseConstants.RequestBufferBytes, 4096);
        using var reply = new ReplyWriter(_fd);
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
                if (n < sizeof(FuseInHeader))
                {
                    continue;
                }
                var header = (FuseInHeader*)buffer;
                var request = new FuseRequest(header, buffer + sizeof(FuseInHeader), (int)Math.Min(n, header->Len) - sizeof(FuseInHeader));
                if (!_operations.Handle(request, reply))
                {
                    _stopping = true;
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }
}
