using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using WinReflink.Core;
using WinReflink.WinFsp.Interop;
using VolumeInfo = WinReflink.WinFsp.Interop.VolumeInfo;

namespace WinReflink.WinFsp.Adapter;

/// <summary>GetVolumeInfo, SetVolumeLabel and DispatcherStopped.</summary>
internal sealed unsafe partial class WinFspAdapter
{
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnGetVolumeInfo(nint fs, VolumeInfo* info)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            a.FillVolumeInfo(info);
            return NtStatus.Success;
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "GetVolumeInfo");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnSetVolumeLabel(nint fs, char* label, VolumeInfo* info)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            string text = Text(label) ?? "";
            if (text.Length > FileSystem.MaxLabelLength)
            {
                return NtStatus.InvalidVolumeLabel;
            }
            var e = a._fs.SetLabel(text);
            if (e != Core.Errors.FsError.Ok)
            {
                return e.ToNtStatus();
            }
            a.FillVolumeInfo(info);
            return NtStatus.Success;
        }
        catch (Exception e)
        {
            return Unexpected(a, e, "SetVolumeLabel");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnDispatcherStopped(nint fs, byte normally)
    {
        WinFspAdapter? a = null;
        try
        {
            a = From(fs);
            if (normally == 0)
            {
                // Since WinFsp 2.0 the driver may unmount us itself, e.g. on uninstall (1.5).
                a._logger.LogWarning("WinFsp stopped the dispatcher on its own; the volume is no longer mounted");
            }
            a.Stopped?.Invoke(normally != 0);
        }
        catch (Exception e)
        {
            Unexpected(a, e, "DispatcherStopped");
        }
    }

    private void FillVolumeInfo(VolumeInfo* info)
    {
        var s = _fs.StatFs();
        *info = default;
        info->TotalSize = (ulong)(s.TotalBlocks * s.BlockSize);
        info->FreeSize = (ulong)(s.FreeBlocks * s.BlockSize);
        int chars = Math.Min(s.Label.Length, VolumeInfo.LabelChars);
        s.Label.AsSpan(0, chars).CopyTo(new Span<char>(info->VolumeLabel, chars));
        info->VolumeLabelLength = (ushort)(chars * sizeof(char));
    }
}
