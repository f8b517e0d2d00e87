using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Recognition;

/// <summary>
/// Programs that copy by reading the source and writing the destination (no copy_file_range) make
/// reflinks all the same (issue 10): each 4 KiB block they write repeats a cached block of the
/// ExtentCache, so the write maps that block instead of allocating one; a block written in two parts is
/// shared by the write that completes it, and the last one by the write that ends the file inside it. Each test copies a file of
/// random bytes with a real program and checks the volume's figures (usedBytes barely grows,
/// sharedBytes grows by the copy's blocks, recognizedBlocks counts them), the contents, that the source
/// and the copy stay independent after writes to either, and `winreflink check` on the unmounted volume.
/// </summary>
public sealed class CopyRecognitionTests : MountedTest
{
    private const long Mib = 1L << 20;
    private const int BlockSize = 4096;

    /// <summary>How the source is left before the copy: the copier reads it anyway, so every state must be recognised.</summary>
    public enum SourceState
    {
        /// <summary>Written, fsynced, and read once: its blocks are clean and were just read from the cache.</summary>
        Read,
        /// <summary>Written and fsynced only: its blocks became clean by write-back.</summary>
        Flushed,
        /// <summary>Written, fsynced, and the volume remounted: the ExtentCache is empty, the copier's reads load it.</summary>
        Cold,
    }

    [TestCase(SourceState.Read)]
    [TestCase(SourceState.Flushed)]
    [TestCase(SourceState.Cold)]
    public void DdWithOneMebibyteBlocks(SourceState state) =>
        AssertCopyIsRecognised(128 * Mib, state, (src, dst) => Run(Programs.Tool("dd"), $"if={src}", $"of={dst}", "bs=1M", "status=none"));

    [Test]
    public void DdWith64KiBBlocks() =>
        AssertCopyIsRecognised(128 * Mib, SourceState.Read, (src, dst) => Run(Programs.Tool("dd"), $"if={src}", $"of={dst}", "bs=64K", "status=none"));

    [Test]
    public void RsyncWholeFileInPlace() =>
        AssertCopyIsRecognised(128 * Mib, SourceState.Read, (src, dst) => Run(Programs.Tool("rsync"), "--whole-file", "--inplace", src, dst));

    [Test]
    public void RsyncWholeFileThroughATemporaryFile() =>
        AssertCopyIsRecognised(128 * Mib, SourceState.Read, (src, dst) =>
        {
            Run(Programs.Tool("rsync"), "--whole-file", src, dst);
            Assert.That(Directory.GetFiles(Path.GetDirectoryName(dst)!, ".*"), Is.Empty, "rsync renamed its temporary file into place");
        });

    /// <summary>.NET's Stream.CopyTo, as a PowerShell script copies: 80 KiB reads and writes, no copy_file_range.</summary>
    [Test]
    public void PowerShellStreamCopyToOfOneGibibyte() =>
        AssertCopyIsRecognised(1024 * Mib, SourceState.Read, (src, dst) => Run(Programs.Pwsh, TimeSpan.FromMinutes(5),
            "-NoProfile", "-NonInteractive", "-c",
            $"$s = [IO.File]::OpenRead('{src}'); $d = [IO.File]::Create('{dst}'); try {{ $s.CopyTo($d) }} finally {{ $d.Dispose(); $s.Dispose() }}"));

    /// <summary>shutil.copyfileobj (64 KiB reads and writes) of a file whose last block is partial: that block alone is written.</summary>
    [Test]
    public void PythonCopyFileObjOfAFileWithAPartialLastBlock() =>
        AssertCopyIsRecognised(100 * Mib + 1234, SourceState.Read, (src, dst) => Run(Programs.Tool("python3"), "-c",
            "import shutil, sys\nwith open(sys.argv[1], 'rb') as s, open(sys.argv[2], 'wb') as d:\n    shutil.copyfileobj(s, d)", src, dst));

    /// <summary>
    /// tar c | tar x of a tree into another directory: tar writes each file in its archive's records,
    /// so its writes start 512 bytes past a block boundary; sizes that are not multiples of 4 KiB leave
    /// partial last blocks, and a file smaller than a block has nothing to share.
    /// </summary>
    [Test]
    public void TarIntoAnotherDirectory()
    {
        var sizes = new (string Name, long Size)[] { ("big.bin", 64 * Mib), ("odd.bin", 10 * Mib + 1000), ("small.bin", 5000), ("tiny.bin", 100) };
        string from = P("tree"), to = P("untarred");
        Directory.CreateDirectory(from);
        Directory.CreateDirectory(to);
        var toCopy = (Offset: 32 * Mib + 123, Data: Filled(BlockSize, 0xC0));
        var toSource = (Offset: 16 * Mib, Data: Filled(BlockSize, 0x50));
        var hashes = sizes.ToDictionary(f => f.Name, f => RandomFile.Write(Path.Combine(from, f.Name), f.Size, toCopy, toSource));
        foreach (var (name, _) in sizes)
        {
            Assert.That(PatternFile.Hash(Path.Combine(from, name)), Is.EqualTo(hashes[name].Content), $"{name} reads back as written");
        }
        var before = Figures();

        string tar = Programs.Tool("tar");
        Run("sh", "-c", $"{Quote(tar)} -c -C {Quote(from)} . | {Quote(tar)} -x -C {Quote(to)}");
        foreach (var (name, _) in sizes)
        {
            RandomFile.Fsync(Path.Combine(to, name));
        }

        var after = Figures();
        long total = sizes.Sum(f => f.Size);
        long blocks = sizes.Sum(f => (f.Size + BlockSize - 1) / BlockSize);
        AssertRecognised(before, after, total, blocks, "tar x (it writes each file in 10 KiB writes after a first of 9.5 KiB, so the blocks two writes split arrive in two parts)");
        Assert.Multiple(() =>
        {
            foreach (var (name, _) in sizes)
            {
                Assert.That(PatternFile.Hash(Path.Combine(to, name)), Is.EqualTo(hashes[name].Content), $"the copy of {name} equals its source");
            }
        });
        AssertIndependentAfterWrites(Path.Combine(from, "big.bin"), Path.Combine(to, "big.bin"), hashes["big.bin"], toCopy, toSource);
        UnmountAndCheckWithCli();
    }

    /// <summary>
    /// A copy that is not exact: dd through a pipe that flips one byte in the middle. The block holding
    /// that byte matches nothing and is written; every other block is shared.
    /// </summary>
    [Test]
    public void CopyWithOneByteChangedSharesEveryOtherBlock()
    {
        const long Size = 64 * Mib;
        const long Flipped = 5 * Mib + 17;
        string src = P("source.bin"), dst = P("copy.bin");
        var hashes = RandomFile.Write(src, Size);
        Assert.That(PatternFile.Hash(src), Is.EqualTo(hashes.Content), "the source reads back as written");
        string flip = Area.PathOf("flip.py");
        File.WriteAllText(flip, """
            import sys
            at, pos = int(sys.argv[1]), 0
            while True:
                chunk = sys.stdin.buffer.read(1 << 20)
                if not chunk:
                    break
                if pos <= at < pos + len(chunk):
                    chunk = bytearray(chunk)
                    chunk[at - pos] ^= 0xFF
                sys.stdout.buffer.write(chunk)
                pos += len(chunk)
            """);
        var before = Figures();

        string dd = Quote(Programs.Tool("dd"));
        Run("sh", "-c", $"{dd} if={Quote(src)} bs=1M status=none | {Quote(Programs.Tool("python3"))} {Quote(flip)} {Flipped} | {dd} of={Quote(dst)} bs=1M iflag=fullblock status=none");
        RandomFile.Fsync(dst);

        var after = Figures();
        long blocks = Size / BlockSize;
        Assert.Multiple(() =>
        {
            Assert.That(after.RecognizedBlocks - before.RecognizedBlocks, Is.EqualTo(blocks - 1), "recognizedBlocks: every block but the changed one");
            Assert.That(after.RecognizedBytes - before.RecognizedBytes, Is.EqualTo((blocks - 1) * BlockSize), "recognizedBytes: those blocks' bytes");
            Assert.That(after.UsedBytes - before.UsedBytes, Is.EqualTo(BlockSize), "usedBytes: the changed block alone was allocated");
            Assert.That(after.SharedBytes - before.SharedBytes, Is.EqualTo((blocks - 1) * BlockSize), "sharedBytes: every block but the changed one");
            Assert.That(RecognitionFigures.Counter(RecognitionFigures.StatsJson(MountPoint), "recognizedBlocks"), Is.EqualTo(after.RecognizedBlocks),
                "`winreflink stats --json` shows the Info ioctl's recognizedBlocks");
        });
        Assert.That(RandomFile.Differences(src, dst), Is.EqualTo(new[] { Flipped }), "the copy differs from the source in the flipped byte alone");
        Assert.That(RandomFile.ByteAt(dst, Flipped), Is.EqualTo((byte)(RandomFile.ByteAt(src, Flipped) ^ 0xFF)), "the copy holds the flipped byte");
        Assert.That(PatternFile.Hash(src), Is.EqualTo(hashes.Content), "the source is unchanged");
        UnmountAndCheckWithCli();
    }

    /// <summary>`mount --no-copy-recognition` writes a copy's every block, whatever the volume says.</summary>
    [Test]
    public void MountOptionTurnsRecognitionOff()
    {
        Remount("--no-copy-recognition");
        AssertCopyIsWritten();
    }

    /// <summary>A volume formatted with `--no-copy-recognition` writes a copy's every block when mounted without options.</summary>
    [Test]
    public void VolumeOptionTurnsRecognitionOff()
    {
        Mount.Unmount();
        Directory.Delete(Area.Volume, recursive: true);
        var r = Programs.Winreflink("format", Area.Volume, "--no-copy-recognition");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        MountAgain();
        AssertCopyIsWritten();
    }

    /// <summary>
    /// Writes a random source of <paramref name="size"/> bytes, leaves it in <paramref name="state"/>,
    /// copies it with <paramref name="copy"/> (source, destination) and asserts that every block of the
    /// copy, the partial last one included, was shared rather than written, then that the two files stay
    /// independent.
    /// </summary>
    private void AssertCopyIsRecognised(long size, SourceState state, Action<string, string> copy)
    {
        string src = P("source.bin"), dst = P("copy.bin");
        // An unaligned 4 KiB write to the copy touches two shared blocks; an aligned one to the source touches one more.
        var toCopy = (Offset: size / 2 + 123, Data: Filled(BlockSize, 0xC0));
        var toSource = (Offset: size / 4 / BlockSize * BlockSize, Data: Filled(BlockSize, 0x50));
        var hashes = RandomFile.Write(src, size, toCopy, toSource);
        switch (state)
        {
            case SourceState.Read:
                Assert.That(PatternFile.Hash(src), Is.EqualTo(hashes.Content), "the source reads back as written");
                break;
            case SourceState.Cold:
                Remount();
                break;
        }
        var before = Figures();

        copy(src, dst);
        RandomFile.Fsync(dst);

        var after = Figures();
        AssertRecognised(before, after, size, (size + BlockSize - 1) / BlockSize, state.ToString());
        int sourceExtents = ControlChannel.Extents(src).Count;
        Assert.That(ControlChannel.Extents(dst), Has.Count.LessThanOrEqualTo(sourceExtents), "the copy has as few extents as its source");
        Assert.That(PatternFile.Hash(dst), Is.EqualTo(hashes.Content), "the copy's contents equal the source's");
        AssertIndependentAfterWrites(src, dst, hashes, toCopy, toSource);
        UnmountAndCheckWithCli();
    }

    /// <summary>
    /// The figures of a recognised copy of <paramref name="size"/> bytes in <paramref name="blocks"/>
    /// blocks: each was shared (counted in recognizedBlocks), usedBytes grew by under 1% of the size.
    /// </summary>
    private static void AssertRecognised(RecognitionFigures before, RecognitionFigures after, long size, long blocks, string what)
    {
        Assert.Multiple(() =>
        {
            Assert.That(after.RecognizedBlocks - before.RecognizedBlocks, Is.EqualTo(blocks), $"{what}: recognizedBlocks counts every block of the copy");
            Assert.That(after.RecognizedBytes - before.RecognizedBytes, Is.EqualTo(blocks * BlockSize), $"{what}: recognizedBytes is those blocks' bytes");
            Assert.That(after.UsedBytes - before.UsedBytes, Is.LessThan(size / 100), $"{what}: usedBytes grows by under 1% of the {size} bytes copied");
            Assert.That(after.SharedBytes - before.SharedBytes, Is.GreaterThanOrEqualTo(blocks * BlockSize), $"{what}: sharedBytes grows by the copy's blocks");
        });
    }

    /// <summary>
    /// Writes <paramref name="toCopy"/> to the copy and <paramref name="toSource"/> to the source (both in
    /// shared blocks): each file then holds its own write and not the other's, and exactly the three
    /// blocks written stop being shared.
    /// </summary>
    private void AssertIndependentAfterWrites(string src, string dst, RandomFileHashes hashes, (long Offset, byte[] Data) toCopy, (long Offset, byte[] Data) toSource)
    {
        long shared = Info().SharedBytes;
        PatternFile.Overwrite(dst, toCopy.Offset, toCopy.Data);
        PatternFile.Overwrite(src, toSource.Offset, toSource.Data);
        Assert.That(PatternFile.Hash(dst), Is.EqualTo(hashes.WithOverlay[0]), "the copy holds its own write and not the source's");
        Assert.That(PatternFile.Hash(src), Is.EqualTo(hashes.WithOverlay[1]), "the source holds its own write and not the copy's");
        Assert.That(shared - Info().SharedBytes, Is.EqualTo(3 * BlockSize), "exactly the three written blocks stopped being shared");
    }

    /// <summary>With recognition off: a dd copy allocates and writes every block, and nothing is counted as recognised.</summary>
    private void AssertCopyIsWritten()
    {
        const long Size = 64 * Mib;
        string src = P("source.bin"), dst = P("copy.bin");
        var hashes = RandomFile.Write(src, Size);
        Assert.That(PatternFile.Hash(src), Is.EqualTo(hashes.Content), "the source reads back as written");
        var before = Figures();

        Run(Programs.Tool("dd"), $"if={src}", $"of={dst}", "bs=1M", "status=none");
        RandomFile.Fsync(dst);

        var after = Figures();
        Assert.Multiple(() =>
        {
            Assert.That(after.RecognizedBlocks, Is.Zero, "recognizedBlocks stays 0 with recognition off");
            Assert.That(after.RecognizedBytes, Is.Zero, "recognizedBytes stays 0 with recognition off");
            Assert.That(after.UsedBytes - before.UsedBytes, Is.InRange(Size, Size + Size / 100), "usedBytes grows by the file's size");
            Assert.That(after.SharedBytes, Is.EqualTo(before.SharedBytes), "nothing becomes shared");
        });
        Assert.That(PatternFile.Hash(dst), Is.EqualTo(hashes.Content), "the copy's contents equal the source's");
        UnmountAndCheckWithCli();
    }

    /// <summary>Unmounts and runs `winreflink check VOLUME`, which must find the volume clean (the teardown checks it in process too).</summary>
    private void UnmountAndCheckWithCli()
    {
        Mount.Unmount();
        var r = Programs.Winreflink("check", Area.Volume);
        Assert.That(r.ExitCode, Is.Zero, $"winreflink check: {r}");
        Assert.That(r.Stdout, Does.Contain(": clean"), $"winreflink check: {r}");
    }

    private RecognitionFigures Figures() => RecognitionFigures.Of(Info());

    private static void Run(string file, params string[] arguments) => Run(file, TimeSpan.FromMinutes(2), arguments);

    private static void Run(string file, TimeSpan timeout, params string[] arguments)
    {
        var r = ProcessRunner.Run(file, arguments, timeout);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
    }

    /// <summary>A word for sh -c: single-quoted.</summary>
    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static byte[] Filled(int length, byte value)
    {
        var data = new byte[length];
        Array.Fill(data, value);
        return data;
    }
}
