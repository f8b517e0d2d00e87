using System.Diagnostics;
using System.Globalization;
using WinReflink.Core.Cache;
using WinReflink.Core.Interop;
using WinReflink.Core.Storage;

namespace WinReflink.Core.Tests.Units.Storage;

[Platform("Linux")]
public class FileBlockStoreTests
{
    private const int BlockSize = 4096;
    private const long Capacity = 64;

    private readonly List<string> _cleanup = new();
    private string? _mountPoint;

    [TearDown]
    public void CleanUp()
    {
        foreach (string path in _cleanup)
        {
            File.Delete(path);
        }
        _cleanup.Clear();
        if (_mountPoint != null)
        {
            Run("umount", _mountPoint);
            Directory.Delete(_mountPoint);
            _mountPoint = null;
        }
    }

    private string NewDataFile(string folder, long length = Capacity * BlockSize)
    {
        string path = Path.Combine(folder, "wrl-store-" + Guid.NewGuid().ToString("N") + ".img");
        using (var f = new FileStream(path, FileMode.CreateNew))
        {
            f.SetLength(length);
        }
        _cleanup.Add(path);
        return path;
    }

    private static NativeBuffer Pattern(int blocks, int seed)
    {
        var buffer = new NativeBuffer(blocks * BlockSize, BlockStore.Alignment);
        new Random(seed).NextBytes(buffer.GetSpan());
        return buffer;
    }

    /// <summary>The open flags of this process's descriptors on <paramref name="path"/>, from /proc.</summary>
    private static List<int> OpenFlags(string path)
    {
        var flags = new List<int>();
        foreach (string fd in Directory.GetFiles("/proc/self/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue;
            }
            if (target != path)
            {
                continue;
            }
            string info = File.ReadAllText(Path.Combine("/proc/self/fdinfo", Path.GetFileName(fd)));
            string line = info.Split('\n').First(l => l.StartsWith("flags:", StringComparison.Ordinal));
            flags.Add(Convert.ToInt32(line["flags:".Length..].Trim(), 8));
        }
        return flags;
    }

    private static void AssertRoundTrip(FileBlockStore store)
    {
        using var a = Pattern(3, 1);
        using var b = Pattern(2, 2);
        store.Write(10, new ReadOnlyMemory<byte>[] { a.Memory });
        // A gather write: two buffers land on consecutive blocks.
        store.Write(20, new ReadOnlyMemory<byte>[] { a.Memory[..BlockSize], b.Memory });
        using var back = new NativeBuffer(3 * BlockSize, BlockStore.Alignment);
        store.Read(10, back.GetSpan());
        Assert.That(back.GetSpan().SequenceEqual(a.GetSpan()), Is.True, "blocks 10..12");
        store.Read(20, back.GetSpan());
        Assert.That(back.GetSpan()[..BlockSize].SequenceEqual(a.GetSpan()[..BlockSize]), Is.True, "block 20");
        Assert.That(back.GetSpan()[BlockSize..].SequenceEqual(b.GetSpan()), Is.True, "blocks 21..22");
        store.Flush();
        Assert.That(store.BytesWritten, Is.EqualTo(6 * BlockSize));
        Assert.That(store.BytesRead, Is.EqualTo(6 * BlockSize));
    }

    [Test]
    public void OnExt4TheDataFileIsOpenedWithODirect()
    {
        Assume.That(new DriveInfo(Path.GetTempPath()).DriveFormat, Is.EqualTo("ext4"), "the temporary directory is not on ext4");
        string path = NewDataFile(Path.GetTempPath());
        var logger = new RecordingLogger();
        using var store = new FileBlockStore(path, BlockSize, Capacity, logger);
        Assert.That(store.Unbuffered, Is.True);
        Assert.That(logger.Warnings, Is.Empty);
        var flags = OpenFlags(path);
        Assert.That(flags, Is.Not.Empty, "the store holds the file open");
        Assert.That(flags, Has.All.Matches<int>(f => (f & Libc.ODirect) != 0), "every descriptor of the data file has O_DIRECT");
        AssertRoundTrip(store);
    }

    [Test]
    public void WrittenBlocksReachTheFileAtTheirOffsets()
    {
        string path = NewDataFile(Path.GetTempPath());
        using var data = Pattern(2, 3);
        using (var store = new FileBlockStore(path, BlockSize, Capacity, new RecordingLogger()))
        {
            store.Write(7, new ReadOnlyMemory<byte>[] { data.Memory });
            store.Flush();
        }
        var file = File.ReadAllBytes(path);
        Assert.That(file.AsSpan(7 * BlockSize, 2 * BlockSize).SequenceEqual(data.GetSpan()), Is.True);
        Assert.That(file.AsSpan(0, 7 * BlockSize).ContainsAnyExcept((byte)0), Is.False);
        Assert.That(file.AsSpan(9 * BlockSize).ContainsAnyExcept((byte)0), Is.False);
    }

    [Test]
    public void ScatteredRunsWrittenAtOnceLandAtTheirOffsets()
    {
        // More runs than one native AIO batch takes, some of them gathers of two buffers.
        const long capacity = 1024;
        const int runs = LinuxAioWriter.MaxBatch + 44;
        string path = NewDataFile(Path.GetTempPath(), capacity * BlockSize);
        using var data = Pattern(3 * runs, 6);
        var writes = new List<(long Block, IReadOnlyList<ReadOnlyMemory<byte>> Buffers)>();
        for (int i = 0; i < runs; i++)
        {
            var mine = data.Memory.Slice(3 * i * BlockSize, 3 * BlockSize);
            writes.Add(i % 3 == 0
                ? (3L * i + 1, new[] { (ReadOnlyMemory<byte>)mine[..BlockSize], mine.Slice(BlockSize, 2 * BlockSize) })
                : (3L * i + 1, new[] { (ReadOnlyMemory<byte>)mine[..BlockSize] }));
        }
        using (var store = new FileBlockStore(path, BlockSize, capacity, new RecordingLogger()))
        {
            store.WriteRuns(writes);
            store.Flush();
            Assert.That(store.BytesWritten, Is.EqualTo(writes.Sum(w => w.Buffers.Sum(b => (long)b.Length))));
        }
        var file = File.ReadAllBytes(path);
        for (int i = 0; i < runs; i++)
        {
            int blocks = i % 3 == 0 ? 3 : 1;
            var expected = data.GetSpan().Slice(3 * i * BlockSize, blocks * BlockSize);
            Assert.That(file.AsSpan((int)(3L * i + 1) * BlockSize, blocks * BlockSize).SequenceEqual(expected), Is.True, $"run {i}");
            if (blocks == 1)
            {
                Assert.That(file.AsSpan((int)(3L * i + 2) * BlockSize, 2 * BlockSize).ContainsAnyExcept((byte)0), Is.False, $"after run {i}");
            }
        }
        Assert.That(file.AsSpan(0, BlockSize).ContainsAnyExcept((byte)0), Is.False, "block 0");
    }

    [Test]
    public void BlocksPastTheEndOfAShortFileReadAsZeros()
    {
        string path = NewDataFile(Path.GetTempPath(), length: 2 * BlockSize);
        using var store = new FileBlockStore(path, BlockSize, Capacity, new RecordingLogger());
        using var buffer = Pattern(3, 4);
        store.Read(1, buffer.GetSpan());
        Assert.That(buffer.GetSpan().ContainsAnyExcept((byte)0), Is.False);
    }

    [Test]
    public void AccessOutsideTheStoreIsRefused()
    {
        string path = NewDataFile(Path.GetTempPath());
        using var store = new FileBlockStore(path, BlockSize, Capacity, new RecordingLogger());
        using var buffer = Pattern(2, 5);
        Assert.That(() => store.Read(Capacity - 1, buffer.GetSpan()), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => store.Write(-1, new ReadOnlyMemory<byte>[] { buffer.Memory }), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => store.Write(0, new ReadOnlyMemory<byte>[] { buffer.Memory[..100] }), Throws.InstanceOf<ArgumentOutOfRangeException>(), "not whole blocks");
    }

    [Test]
    public void OnTmpfsTheStoreWorksAndWarnsExactlyWhenItFallsBack()
    {
        // Linux 6.6 and later accept O_DIRECT on tmpfs; older kernels refuse it. Either way the flag,
        // the warning and the descriptor must agree, and the data must round-trip.
        Assume.That(Directory.Exists("/dev/shm"), "no /dev/shm");
        string path = NewDataFile("/dev/shm");
        var logger = new RecordingLogger();
        using var store = new FileBlockStore(path, BlockSize, Capacity, logger);
        bool direct = OpenFlags(path).All(f => (f & Libc.ODirect) != 0);
        Assert.That(store.Unbuffered, Is.EqualTo(direct));
        Assert.That(logger.Warnings.Any(), Is.EqualTo(!store.Unbuffered));
        AssertRoundTrip(store);
    }

    [Test]
    public void OnAFilesystemThatRefusesODirectItFallsBackToBufferedWithAWarning()
    {
        // ramfs has no direct I/O at all: open(O_DIRECT) fails with EINVAL. Mounting one needs root.
        string mountPoint = Path.Combine(Path.GetTempPath(), "wrl-ramfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(mountPoint);
        if (Run("mount", "-t", "ramfs", "ramfs", mountPoint) != 0)
        {
            Directory.Delete(mountPoint);
            Assert.Ignore("cannot mount ramfs here (needs root)");
        }
        _mountPoint = mountPoint;
        string path = NewDataFile(mountPoint);
        var logger = new RecordingLogger();
        using (var store = new FileBlockStore(path, BlockSize, Capacity, logger))
        {
            Assert.That(store.Unbuffered, Is.False);
            Assert.That(logger.Warnings.ToList(), Has.Count.EqualTo(1));
            Assert.That(logger.Warnings.Single(), Does.Contain(path).And.Contain("buffered").And.Contain("errno " + Libc.EInval.ToString(CultureInfo.InvariantCulture)));
            Assert.That(OpenFlags(path), Has.All.Matches<int>(f => (f & Libc.ODirect) == 0));
            AssertRoundTrip(store);
        }
        _cleanup.Remove(path);
        File.Delete(path);
    }

    private static int Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode;
    }
}
