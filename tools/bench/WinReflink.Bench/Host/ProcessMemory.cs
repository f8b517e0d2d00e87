using System.Runtime.InteropServices;

namespace WinReflink.Bench.Host;

/// <summary>
/// Gives the memory of a closed volume's cache back to the OS. Without it the C heap keeps the freed
/// windows and the next volume's cache reuses them, so whether a benchmark pays for fresh memory
/// would depend on what ran before it; with it every volume starts as a newly mounted one does.
/// </summary>
internal static partial class ProcessMemory
{
    public static void ReleaseFreed()
    {
        if (OperatingSystem.IsLinux())
        {
            _ = MallocTrim(0);
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
