using WinReflink.Core.Errors;
using WinReflink.Core.Volume;

namespace WinReflink.Core;

/// <summary>The volume label: checks, the lock, and <see cref="VolumeLabel"/>.</summary>
public sealed partial class FileSystem
{
    /// <summary>At most 32 UTF-16 units: what FSP_FSCTL_VOLUME_INFO and NTFS can carry.</summary>
    public const int MaxLabelLength = VolumeLabel.MaxLength;

    /// <summary>Renames the volume (Windows: SetVolumeLabel); committed with the next transaction.</summary>
    public FsError SetLabel(string label)
    {
        var e = VolumeLabel.Check(label);
        if (e != FsError.Ok)
        {
            return e;
        }
        using (_locks.Exclusive())
        {
            e = CheckWritable();
            if (e == FsError.Ok)
            {
                VolumeLabel.Set(_state.Settings, _transaction, label);
            }
            return e;
        }
    }
}
