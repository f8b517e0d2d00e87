using System.Runtime.InteropServices;

namespace WinReflink.Core.Control;

/// <summary>
/// One page of a file's extent listing in the control channel's layout (<see cref="ExtentsPageHeader"/>
/// then <see cref="ExtentRecord"/>s), written the same way for both hosts' channels.
/// </summary>
public static class ExtentsPage
{
    /// <summary>The first extent a request asks for: its header's StartIndex, or 0 when it sent none.</summary>
    public static ulong StartIndex(ReadOnlySpan<byte> request) =>
        request.Length >= Marshal.SizeOf<ExtentsPageHeader>() ? MemoryMarshal.Read<ExtentsPageHeader>(request).StartIndex : 0;

    /// <summary>
    /// Writes the header and as many extents from <paramref name="start"/> on as fit in
    /// <paramref name="output"/> (at most <see cref="ControlProtocol.ExtentsPerPage"/>); returns the bytes
    /// written. The output must hold at least a header.
    /// </summary>
    public static int Write(IReadOnlyList<FileExtent> extents, ulong start, Span<byte> output)
    {
        int headerBytes = Marshal.SizeOf<ExtentsPageHeader>(), recordBytes = Marshal.SizeOf<ExtentRecord>();
        int room = Math.Min(ControlProtocol.ExtentsPerPage, (output.Length - headerBytes) / recordBytes);
        int count = (int)Math.Min((ulong)room, (ulong)extents.Count > start ? (ulong)extents.Count - start : 0);
        MemoryMarshal.Write(output, new ExtentsPageHeader { StartIndex = start, Count = (uint)count, Total = (ulong)extents.Count });
        var records = MemoryMarshal.Cast<byte, ExtentRecord>(output[headerBytes..]);
        for (int i = 0; i < count; i++)
        {
            var x = extents[(int)start + i];
            records[i] = new ExtentRecord
            {
                LogicalOffset = (ulong)x.LogicalOffset,
                PhysicalOffset = (ulong)x.PhysicalOffset,
                Length = (ulong)x.Length,
                ShareCount = (uint)x.ShareCount,
                Flags = x.Unwritten ? 1u : 0u,
            };
        }
        return headerBytes + count * recordBytes;
    }
}
