using System.Diagnostics;
using System.Runtime.InteropServices;

namespace WinReflink.Bench.Host;

/// <summary>
/// How fast this machine fills memory it has never touched, against memory already touched. A growing
/// ExtentCache (like the kernel's page cache under a buffered writer) pays the first; an O_DIRECT
/// writer reusing one buffer pays neither. On virtual machines whose memory the host backs on first
/// touch, the first can be slower than the disk.
/// </summary>
internal static partial class FreshMemory
{
    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 2, MapAnonymous = 0x20;

    /// <summary>Seconds to copy <paramref name="bytes"/> into a fresh anonymous mapping, then into the same pages again.</summary>
    public static unsafe (double First, double Again) Fill(long bytes, byte[] source)
    {
        if (!OperatingSystem.IsLinux())
        {
            return (double.NaN, double.NaN);
        }
        nint map = Mmap(0, (nuint)bytes, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (map == -1)
        {
            throw new InvalidOperationException($"mmap of {bytes} bytes failed with errno {Marshal.GetLastPInvokeError()}");
        }
        try
        {
            var sw = Stopwatch.StartNew();
            CopyInto((byte*)map, bytes, source);
            double first = sw.Elapsed.TotalSeconds;
            sw.Restart();
            CopyInto((byte*)map, bytes, source);
            return (first, sw.Elapsed.TotalSeconds);
        }
        finally
        {
            _ = Munmap(map, (nuint)bytes);
        }
    }

    private static unsafe void CopyInto(byte* destination, long bytes, byte[] source)
    {
        for (long offset = 0; offset < bytes; offset += source.Length)
        {
            int n = (int)Math.Min(source.Length, bytes - offset);
            source.AsSpan(0, n).CopyTo(new Span<byte>(destination + offset, n));
        }
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(nint address, nuint length);
}
