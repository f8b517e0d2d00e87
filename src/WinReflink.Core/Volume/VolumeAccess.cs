namespace WinReflink.Core.Volume;

/// <summary>
/// Whether the volume takes changes, as an access mode: mounted read-only, damaged at open, or under
/// repair. This is never a failure; a failure is <see cref="Transactions.VolumeHealth"/>.
/// Invariant: once read-only, an instance stays read-only (reopen the volume to write).
/// </summary>
internal sealed class VolumeAccess
{
    public VolumeAccess(bool openedReadOnly, bool damaged)
    {
        OpenedReadOnly = openedReadOnly;
        // A damaged volume is never written on top of: what open found stays as it is for `check` and `check --repair`.
        ReadOnly = openedReadOnly || damaged;
    }

    /// <summary>The metadata store was opened read-only, so not even a repair can write.</summary>
    public bool OpenedReadOnly { get; }

    /// <summary>Ordinary calls refuse changes; only a repair writes, through its own commit.</summary>
    public bool ReadOnly { get; private set; }

    /// <summary>`check` found damage: the volume takes no more changes (reopen it, or repair it, to write).</summary>
    public void Damaged() => ReadOnly = true;

    /// <summary>From here on only the repair writes: a refused or dry-run repair leaves changes in memory that must never be committed.</summary>
    public void BeginRepair() => ReadOnly = true;
}
