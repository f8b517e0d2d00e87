namespace WinReflink.Core.Volume;

/// <summary>The files of a volume folder.</summary>
internal sealed class VolumeLayout
{
    public VolumeLayout(string folder)
    {
        Folder = Path.GetFullPath(folder);
    }

    public string Folder { get; }
    public string MetaDb => Path.Combine(Folder, "meta.db");
    public string DataImage => Path.Combine(Folder, "data.img");
    public string LockFile => Path.Combine(Folder, "lock");
    public string LockOwnerFile => Path.Combine(Folder, "lock.owner");
}
