using System.Runtime.InteropServices;

namespace WinReflink.Protocol;

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
    /// <paramref name="output"/> (at most <see cref="ControlProtocol.ExtentsPerPage"/>), each turned into
    /// its record by <paramref name="record"/>; returns the bytes written. The output must hold at least a header.
    /// </summary>
    public static int Write<TExtent>(IReadOnlyList<TExtent> extents, ulong start, Span<byte> output, Func<TExtent, ExtentRecord> record)
    {
        ArgumentNullException.ThrowIfNull(extents);
        ArgumentNullException.ThrowIfNull(record);
        int headerBytes = Marshal.SizeOf<ExtentsPageHeader>(), recordBytes = Marshal.SizeOf<ExtentRecord>();
        int room = Math.Min(ControlProtocol.ExtentsPerPage, (output.Length - headerBytes) / recordBytes);
        int count = (int)Math.Min((ulong)room, (ulong)extents.Count > start ? (ulong)extents.Count - start : 0);
        MemoryMarshal.Write(output, new ExtentsPageHeader { StartIndex = start, Count = (uint)count, Total = (ulong)extents.Count });
        var records = MemoryMarshal.Cast<byte, ExtentRecord>(output[headerBytes..]);
        for (int i = 0; i < count; i++)
        {
            records[i] = record(extents[(int)start + i]);
        }
        return headerBytes + count * recordBytes;
    }
}
