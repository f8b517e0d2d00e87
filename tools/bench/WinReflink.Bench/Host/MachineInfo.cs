using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;
using WinReflink.Core.Interop;

namespace WinReflink.Bench.Host;

/// <summary>What the figures were measured on: they mean little without the machine and the host filesystem.</summary>
internal sealed record MachineInfo(int Cores, string Cpu, long MemoryBytes, string Kernel, string FileSystem, string Device, string MountPoint, bool DirectIo)
{
    public static MachineInfo Describe(string directory)
    {
        string full = Path.GetFullPath(directory);
        var (fs, device, mount) = MountOf(full);
        return new MachineInfo(
            Environment.ProcessorCount,
            FirstValue("/proc/cpuinfo", "model name") ?? System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString(),
            TotalMemory(),
            ReadTrimmed("/proc/sys/kernel/osrelease") is { } release ? "Linux " + release : System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            fs, device, mount, DirectIoWorks(full));
    }

    public string Summary() =>
        $"{Cores} cores ({Cpu}), {MemoryBytes / (double)(1L << 30):F1} GiB RAM, {Kernel}, host filesystem {FileSystem} on {Device} at {MountPoint}"
        + (DirectIo ? "" : " (O_DIRECT refused: data.img is buffered, figures are not comparable)");

    public JsonObject ToJson() => new()
    {
        ["cores"] = Cores,
        ["cpu"] = Cpu,
        ["memory_bytes"] = MemoryBytes,
        ["kernel"] = Kernel,
        ["host_filesystem"] = FileSystem,
        ["device"] = Device,
        ["mount_point"] = MountPoint,
        ["o_direct"] = DirectIo,
    };

    private static string? ReadTrimmed(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;

    private static string? FirstValue(string path, string key)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        foreach (string line in File.ReadLines(path))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == key)
            {
                return line[(colon + 1)..].Trim();
            }
        }
        return null;
    }

    private static long TotalMemory()
    {
        string? kib = FirstValue("/proc/meminfo", "MemTotal");
        if (kib != null && long.TryParse(kib.Split(' ')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long k))
        {
            return k * 1024;
        }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    /// <summary>The mount holding the path: the longest mount point that is a prefix of it (/proc/self/mountinfo).</summary>
    private static (string FileSystem, string Device, string MountPoint) MountOf(string path)
    {
        var best = ("unknown", "unknown", "/");
        int bestLength = -1;
        if (!File.Exists("/proc/self/mountinfo"))
        {
            return best;
        }
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            // id parent major:minor root mount-point options [optional...] - fstype source super-options
            string[] fields = line.Split(' ');
            int dash = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || dash < 0 || dash + 2 >= fields.Length)
            {
                continue;
            }
            string mount = fields[4].Replace("\\040", " ", StringComparison.Ordinal);
            bool contains = mount == "/" || path == mount || path.StartsWith(mount + "/", StringComparison.Ordinal);
            if (contains && mount.Length >= bestLength)
            {
                best = (fields[dash + 1], fields[dash + 2], mount);
                bestLength = mount.Length;
            }
        }
        return best;
    }

    /// <summary>The probe the engine makes on data.img: can a file in this folder be opened with O_DIRECT.</summary>
    private static bool DirectIoWorks(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }
        string probe = Path.Combine(directory, ".odirect-probe-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        File.WriteAllBytes(probe, new byte[4096]);
        try
        {
            int fd = Libc.Open(probe, Libc.ORdWr | Libc.OCloExec | Libc.ODirect, 0);
            if (fd < 0)
            {
                return false;
            }
            using var handle = new SafeFileHandle(fd, ownsHandle: true);
            return true;
        }
        finally
        {
            File.Delete(probe);
        }
    }
}
