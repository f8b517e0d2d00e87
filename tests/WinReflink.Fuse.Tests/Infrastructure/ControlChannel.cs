using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using WinReflink.Protocol;

namespace WinReflink.Fuse.Tests.Infrastructure;

/// <summary>The volume's figures as the Info ioctl reports them.</summary>
public sealed record VolumeFigures(long CapacityBytes, long UsedBytes, long FreeBytes, long SharedBytes, long SavedBytes, long Files, long Directories, JsonElement Raw);

/// <summary>One extent as the Extents ioctl reports it.</summary>
public sealed record ExtentFigure(long LogicalOffset, long PhysicalOffset, long Length, int ShareCount, bool Unwritten);

/// <summary>The control channel (ControlProtocol over ioctl), called as a program on the mount would.</summary>
internal static class ControlChannel
{
    /// <summary>Info on a directory of the mount, opened with open(O_RDONLY | O_DIRECTORY).</summary>
    public static VolumeFigures Info(string directoryOnMount)
    {
        int fd = Libc.Open(directoryOnMount, Libc.ORdOnly | Libc.ODirectory);
        try
        {
            var buffer = new byte[ControlProtocol.InfoBytes];
            Libc.Ioctl(fd, LinuxIoctl.Info, buffer);
            int end = Array.IndexOf(buffer, (byte)0);
            string json = Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement.Clone();
            return new VolumeFigures(
                root.GetProperty("capacityBytes").GetInt64(), root.GetProperty("usedBytes").GetInt64(), root.GetProperty("freeBytes").GetInt64(),
                root.GetProperty("sharedBytes").GetInt64(), root.GetProperty("savedBytes").GetInt64(),
                root.GetProperty("files").GetInt64(), root.GetProperty("directories").GetInt64(), root);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>Every extent of a file, paging through the Extents ioctl.</summary>
    public static List<ExtentFigure> Extents(string file)
    {
        int fd = Libc.Open(file, Libc.ORdOnly);
        try
        {
            var result = new List<ExtentFigure>();
            var page = new byte[ControlProtocol.ExtentsPageBytes];
            int headerSize = Marshal.SizeOf<ExtentsPageHeader>();
            int recordSize = Marshal.SizeOf<ExtentRecord>();
            while (true)
            {
                Array.Clear(page);
                MemoryMarshal.Write(page, new ExtentsPageHeader { StartIndex = (ulong)result.Count });
                Libc.Ioctl(fd, LinuxIoctl.Extents, page);
                var header = MemoryMarshal.Read<ExtentsPageHeader>(page);
                for (int i = 0; i < header.Count; i++)
                {
                    var r = MemoryMarshal.Read<ExtentRecord>(page.AsSpan(headerSize + i * recordSize));
                    result.Add(new ExtentFigure((long)r.LogicalOffset, (long)r.PhysicalOffset, (long)r.Length, (int)r.ShareCount, (r.Flags & ExtentRecord.Unwritten) != 0));
                }
                if (header.Count == 0 || (ulong)result.Count >= header.Total)
                {
                    return result;
                }
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
