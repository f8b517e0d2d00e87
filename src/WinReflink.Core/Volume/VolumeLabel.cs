using WinReflink.Core.Errors;
using WinReflink.Core.Transactions;

namespace WinReflink.Core.Volume;

/// <summary>
/// The volume's label (Windows: SetVolumeLabel). Invariant: the stored label is at most
/// <see cref="MaxLength"/> UTF-16 units and holds no NUL; a change reaches meta.db's settings row with
/// the next commit. Callers hold the volume lock and checked the volume is writable.
/// </summary>
internal static class VolumeLabel
{
    /// <summary>What FSP_FSCTL_VOLUME_INFO and NTFS can carry.</summary>
    public const int MaxLength = 32;

    public static FsError Check(string label) =>
        label.Length > MaxLength || label.Contains('\0', StringComparison.Ordinal) ? FsError.InvalidArgument : FsError.Ok;

    /// <summary>Renames the volume; the caller checked the label (<see cref="Check"/>).</summary>
    public static void Set(VolumeSettings settings, Transaction transaction, string label)
    {
        settings.Label = label;
        transaction.SettingsChanged();
    }
}
