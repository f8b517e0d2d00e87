using System.Globalization;

namespace WinReflink.Fuse.Tests.Infrastructure;

/// <summary>A running process's memory as the kernel counts it in /proc/PID/status.</summary>
internal static class ProcessMemory
{
    /// <summary>Resident memory now (VmRSS), in bytes.</summary>
    public static long ResidentBytes(int pid) => StatusKiB(pid, "VmRSS") * 1024;

    /// <summary>The most resident memory the process has had (VmHWM), in bytes.</summary>
    public static long PeakResidentBytes(int pid) => StatusKiB(pid, "VmHWM") * 1024;

    private static long StatusKiB(int pid, string field)
    {
        string status = File.ReadAllText($"/proc/{pid}/status");
        foreach (string line in status.Split('\n'))
        {
            // "VmRSS:\t  354312 kB"
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                string value = line[(field.Length + 1)..].Trim();
                return long.Parse(value[..value.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            }
        }
        Assert.Fail($"/proc/{pid}/status has no {field} line:\n{status}");
        return 0;
    }
}
