using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using WinReflink.Core;
using WinReflink.Core.Errors;
using WinReflink.WinFsp.Interop;
using FileInfo = WinReflink.WinFsp.Interop.FileInfo;

namespace WinReflink.WinFsp.Adapter;

/// <summary>GetFileInfo and SetBasicInfo: attributes and times.</summary>
internal sealed unsafe partial class WinFspAdapter
{
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnGetFileInfo(nint fs, nint fileContext, FileInfo* info)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            return a.TryHandle(fileContext, out var handle) ? a.FillFromInode(handle.Ino, info) : NtStatus.InvalidHandle;
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "GetFileInfo");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnSetBasicInfo(nint fs, nint fileContext, uint fileAttributes, ulong creationTime, ulong lastAccessTime, ulong lastWriteTime,
        ulong changeTime, FileInfo* info)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            return a.SetBasicInfo(fileContext, fileAttributes, creationTime, lastAccessTime, lastWriteTime, changeTime, info);
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "SetBasicInfo");
        }
    }

    /// <summary>INVALID_FILE_ATTRIBUTES leaves the attributes, a zero time leaves that time (3.8).</summary>
    private int SetBasicInfo(nint context, uint fileAttributes, ulong creationTime, ulong lastAccessTime, ulong lastWriteTime, ulong changeTime, FileInfo* info)
    {
        if (!TryHandle(context, out var handle))
        {
            return NtStatus.InvalidHandle;
        }
        var fields = SetAttributeFields.None;
        if (fileAttributes != FileAttributeBits.Invalid)
        {
            fields |= SetAttributeFields.WindowsAttributes;
        }
        if (creationTime != 0)
        {
            fields |= SetAttributeFields.BirthTime;
        }
        if (lastAccessTime != 0)
        {
            fields |= SetAttributeFields.AccessTime;
        }
        if (lastWriteTime != 0)
        {
            fields |= SetAttributeFields.ModifyTime;
        }
        if (changeTime != 0)
        {
            fields |= SetAttributeFields.ChangeTime;
        }
        if (fields == SetAttributeFields.None)
        {
            return FillFromInode(handle.Ino, info);
        }
        var request = new SetAttributesRequest(fields,
            AccessTime: FileTimes.ToUnixTicks(lastAccessTime),
            ModifyTime: FileTimes.ToUnixTicks(lastWriteTime),
            ChangeTime: FileTimes.ToUnixTicks(changeTime),
            BirthTime: FileTimes.ToUnixTicks(creationTime),
            WindowsAttributes: (WindowsAttributes)(fileAttributes & SettableAttributes));
        var e = _fs.SetAttributes(handle.Ino, request, out var a);
        if (e != FsError.Ok)
        {
            return e.ToNtStatus();
        }
        Fill(a, info);
        return NtStatus.Success;
    }
}
