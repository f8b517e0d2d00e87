using Microsoft.Extensions.Logging;

namespace WinReflink.Core.Cache;

/// <summary>
/// The thread that writes dirty cache data to the data file while the engine goes on, as the kernel's
/// flusher threads do for the page cache: writers hand it work by waking it and block only at the
/// dirty limit. It runs one batch at a time (<paramref name="writeBatch"/> answers whether more is
/// due now) and sleeps until woken again.
/// </summary>
internal sealed class WriteBackThread : IDisposable
{
    private readonly Func<bool> _writeBatch;
    private readonly ILogger _logger;
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _thread;
    private volatile bool _stopping;

    public WriteBackThread(Func<bool> writeBatch, ILogger logger)
    {
        _writeBatch = writeBatch;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "WinReflink write-back" };
        _thread.Start();
    }

    public void Wake() => _wake.Set();

    private void Run()
    {
        while (!_stopping)
        {
            _wake.WaitOne();
            try
            {
                while (!_stopping && _writeBatch())
                {
                }
            }
            catch (Exception e)
            {
                // The batch records store failures itself, so this is a bug; an exception escaping a
                // thread would end the process. What stays dirty is written by the next commit.
                _logger.LogError(e, "Background write-back batch failed unexpectedly");
            }
        }
    }

    /// <summary>Stops the thread after the batch it is writing, if any, has landed.</summary>
    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _thread.Join();
        _wake.Dispose();
    }
}
