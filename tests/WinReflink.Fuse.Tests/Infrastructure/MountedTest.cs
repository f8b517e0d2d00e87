using WinReflink.Core;

namespace WinReflink.Fuse.Tests.Infrastructure;

/// <summary>
/// Each test gets a fresh volume mounted by a `winreflink mount` child process at a fresh mountpoint;
/// afterwards the volume is unmounted with `winreflink unmount` (exit 0 required) and checked (no
/// violation allowed), so every test ends with a clean check.
/// </summary>
public abstract class MountedTest
{
    private TestArea? _area;
    private MountProcess? _mount;

    protected TestArea Area => _area ?? throw new InvalidOperationException("no test area");
    protected MountProcess Mount => _mount ?? throw new InvalidOperationException("not mounted");
    protected string MountPoint => Area.MountPoint;

    /// <summary>Extra `winreflink mount` options for every test of the fixture.</summary>
    protected virtual string[] MountOptions => [];

    /// <summary>A volume size to format in-process before mounting; null lets `winreflink mount` format the default.</summary>
    protected virtual long? VolumeSizeBytes => null;

    [SetUp]
    public void MountFreshVolume()
    {
        _area = TestArea.Create();
        if (VolumeSizeBytes is long size)
        {
            FileSystem.Format(Area.Volume, new FormatOptions { SizeBytes = size });
        }
        _mount = MountProcess.Start(Area.Volume, Area.MountPoint, MountOptions);
        Assert.That(_mount.Stdout.Contains("formatted a new volume", StringComparison.Ordinal), Is.EqualTo(VolumeSizeBytes == null),
            "the mount says that it formatted a volume exactly when the volume was missing");
    }

    [TearDown]
    public void UnmountAndCheck()
    {
        try
        {
            if (_mount != null)
            {
                // Handles a failed assertion left to the finalizer would keep the mount busy.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                if (_mount.HasExited)
                {
                    // The test ended the mount itself (a signal, a lazy unmount); it must still have exited cleanly.
                    _mount.WaitForExit();
                }
                else
                {
                    _mount.Unmount();
                }
                VolumeCheck.AssertClean(Area.Volume);
            }
        }
        finally
        {
            _mount?.Dispose();
            _mount = null;
            _area?.Dispose();
            _area = null;
        }
    }

    /// <summary>A path on the mount.</summary>
    protected string P(string relative) => Path.Combine(Area.MountPoint, relative);

    /// <summary>Unmounts, checks the volume, and mounts it again at the same place.</summary>
    protected void Remount(params string[] options)
    {
        Mount.Unmount();
        MountAgain(options);
    }

    /// <summary>After the mount process has exited: checks the volume and mounts it again.</summary>
    protected void MountAgain(params string[] options)
    {
        Mount.Dispose();
        _mount = null;
        VolumeCheck.AssertClean(Area.Volume);
        _mount = MountProcess.Start(Area.Volume, Area.MountPoint, options.Length > 0 ? options : MountOptions);
    }

    protected VolumeFigures Info() => ControlChannel.Info(Area.MountPoint);
}
