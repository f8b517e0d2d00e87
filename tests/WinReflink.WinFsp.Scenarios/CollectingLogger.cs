using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace WinReflink.WinFsp.Scenarios;

/// <summary>Keeps what the host logs, so a test can show it and assert that nothing went wrong inside a callback.</summary>
internal sealed class CollectingLogger : ILoggerProvider, ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Text)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            Entries.Enqueue((logLevel, formatter(state, exception) + (exception == null ? "" : " " + exception)));
        }
    }

    public IEnumerable<string> AtLeast(LogLevel level) => Entries.Where(e => e.Level >= level).Select(e => $"{e.Level}: {e.Text}");

    public void Dispose()
    {
    }
}
