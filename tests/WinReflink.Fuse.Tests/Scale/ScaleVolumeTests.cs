using System.Diagnostics;
using System.Globalization;
using WinReflink.Fuse.Tests.Infrastructure;
using WinReflink.Tests.Scale;

namespace WinReflink.Fuse.Tests.Scale;

/// <summary>
/// Issue 11's large-volume test: ONE volume of 200,000 files (issue 11's tree: directories of 10,000
/// entries and one of 100,000, shared ranges cloned from one source; plus a nested tree, symlinks and
/// hard links) built through the FileSystem API as tools/bench/scale builds it, mounted once with
/// `winreflink mount`, and exercised through the mount by real programs. The volume is built once
/// for the fixture (building it per test would cost more than the tests); the tests run in the order
/// given, and those that change the volume say so in <see cref="_expected"/>, which the counting
/// tests read, so any one of them can also run alone. Every phase's time goes to the test output.
/// </summary>
[TestFixture]
[Category("Scale")]
[NonParallelizable]
public sealed partial class ScaleVolumeTests
{
    private const long Files = 200_000;
    private const long SharedExtents = 2_000;
    private static readonly ScaleTreeShape Shape = new(Files, SharedExtents);
    private static readonly ExtraEntries Extras = new(Shape);

    private TestArea? _area;
    private MountProcess? _mount;
    private long _restingResidentBytes;
    private ExpectedCounts _expected = null!;

    private TestArea Area => _area ?? throw new InvalidOperationException("no test area");

    [OneTimeSetUp]
    public void BuildAndMount()
    {
        _area = TestArea.Create();
        var built = Timed("build 200,000 files through the FileSystem API", () =>
            ScaleVolumeBuilder.Build(Area.Volume, Shape, manyExtents: 0, TestContext.Progress, Extras.AddTo));
        Report(string.Create(CultureInfo.InvariantCulture,
            $"volume: {Shape.Files:N0} files in {Shape.Directories:N0} directories, {Shape.SharedExtents:N0} shared ranges ({built.SharedBytes:N0} bytes shared), {built.VolumeExtents:N0} extents, meta.db {built.MetaDbBytes / 1048576.0:N1} MiB"));
        // The tree's files, the shared source and the extras; the root and the tree's directories and the extras'.
        _expected = new ExpectedCounts(
            Files: Shape.Files + 1 + Extras.Files,
            Directories: 1 + Shape.Directories + Extras.Directories,
            Symlinks: ExtraEntries.Links);
        EnsureMounted();
        // At rest, as tools/bench/scale measures it: 2 s after the mount answers, before anything lists or reads.
        Thread.Sleep(TimeSpan.FromSeconds(2));
        _restingResidentBytes = ProcessMemory.ResidentBytes(_mount!.ProcessId);
        Report(string.Create(CultureInfo.InvariantCulture,
            $"mount process at rest: VmRSS {_restingResidentBytes / 1048576.0:N0} MiB, VmHWM {ProcessMemory.PeakResidentBytes(_mount.ProcessId) / 1048576.0:N0} MiB"));
    }

    [OneTimeTearDown]
    public void UnmountAndRemove()
    {
        try
        {
            if (_mount is { HasExited: false })
            {
                _mount.Unmount();
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

    /// <summary>What the volume holds as find counts it: the build, then whatever a test added or removed.</summary>
    private sealed record ExpectedCounts(long Files, long Directories, long Symlinks);

    /// <summary>The mount, started when none is running (the check test unmounts it).</summary>
    private MountProcess EnsureMounted()
    {
        if (_mount is { HasExited: false })
        {
            return _mount;
        }
        _mount?.Dispose();
        _mount = Timed("mount (winreflink mount until it prints \"mounted\")", () => MountProcess.Start(Area.Volume, Area.MountPoint));
        return _mount;
    }

    private void Unmount()
    {
        if (_mount is { HasExited: false })
        {
            // How far the tests' listings and reads grew the mount from its resting figure.
            Report(string.Create(CultureInfo.InvariantCulture,
                $"mount process before unmount: VmRSS {ProcessMemory.ResidentBytes(_mount.ProcessId) / 1048576.0:N0} MiB, VmHWM {ProcessMemory.PeakResidentBytes(_mount.ProcessId) / 1048576.0:N0} MiB"));
            Timed("unmount (winreflink unmount until the mount process exits)", _mount.Unmount);
        }
        _mount?.Dispose();
        _mount = null;
    }

    /// <summary>A path on the mount, from a '/'-separated path relative to its root.</summary>
    private string P(string relative) => Path.Combine(Area.MountPoint, relative);

    private static T Timed<T>(string phase, Func<T> action)
    {
        var watch = Stopwatch.StartNew();
        T result = action();
        Report(string.Create(CultureInfo.InvariantCulture, $"{phase}: {watch.Elapsed.TotalSeconds:N2} s"));
        return result;
    }

    private static void Timed(string phase, Action action) => Timed(phase, () =>
    {
        action();
        return 0;
    });

    /// <summary>A figure for the lead: live on the console (Progress) and in the test's recorded output (Out).</summary>
    private static void Report(string line)
    {
        TestContext.Progress.WriteLine("[scale] " + line);
        TestContext.Out.WriteLine("[scale] " + line);
    }
}
