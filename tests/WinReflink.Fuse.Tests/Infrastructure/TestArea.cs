namespace WinReflink.Fuse.Tests.Infrastructure;

/// <summary>A fresh temp folder per test: the volume (not yet created) and an empty mountpoint.</summary>
public sealed class TestArea : IDisposable
{
    private TestArea(string root)
    {
        Root = root;
        Volume = Path.Combine(root, "volume.wrl");
        MountPoint = Path.Combine(root, "mnt");
    }

    public string Root { get; }
    public string Volume { get; }
    public string MountPoint { get; }

    public static TestArea Create()
    {
        string root = Path.Combine(Path.GetTempPath(), "wrl-fuse-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        // Unprivileged users must reach the mountpoint through it.
        File.SetUnixFileMode(root, (UnixFileMode)0x1ed);
        Directory.CreateDirectory(Path.Combine(root, "mnt"));
        File.SetUnixFileMode(Path.Combine(root, "mnt"), (UnixFileMode)0x1ed);
        return new TestArea(root);
    }

    /// <summary>Another path in the area (for extra mountpoints and files outside the mount).</summary>
    public string PathOf(string name) => Path.Combine(Root, name);

    public void Dispose()
    {
        if (Directory.Exists(Root) && !MountTable.IsMounted(MountPoint))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
