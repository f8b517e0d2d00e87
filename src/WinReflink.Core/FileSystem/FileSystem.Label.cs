using WinReflink.Core.Errors;

namespace WinReflink.Core;

public sealed partial class FileSystem
{
    /// <summary>At most 32 UTF-16 units: what FSP_FSCTL_VOLUME_INFO and NTFS can carry.</summary>
    public const int MaxLabelLength = 32;

    /// <summary>Renames the volume (Windows: SetVolumeLabel); committed with the next transaction.</summary>
    public FsError SetLabel(string label)
    {
        if (label.Length > MaxLabelLength || label.Contains('\0', StringComparison.Ordinal))
        {
            return FsError.InvalidArgument;
        }
        lock (_lock)
        {
            var e = CheckWritable();
            if (e != FsError.Ok)
            {
                return e;
            }
            _state.Settings.Label = label;
            _transaction.Changes.SettingsChanged = true;
            return FsError.Ok;
        }
    }
}
