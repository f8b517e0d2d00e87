using WinReflink.Core.Errors;
using WinReflink.Core.Tests.Units.Cache;

namespace WinReflink.Core.Tests.Concurrency;

/// <summary>
/// Reads that miss the cache read the data file without the volume lock: a read held in the store
/// must not hold up other calls, a second reader of the same block waits for the first one's load,
/// and whatever changes the file while the load is in flight wins over the bytes it brings.
/// The volume is written, closed and reopened over the same in-memory store, so its cache is cold.
/// </summary>
public class UnlockedReadTests : ColdVolumeFixture
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>Files "a" (two blocks of 1) and "b" (two blocks of 2), committed; then the volume is reopened with nothing cached.</summary>
    private FileSystem OpenCold(out long a, out long b)
    {
        var fs = OpenCold(out var inodes, ("a", Filled(2 * BlockSize, 1)), ("b", Filled(2 * BlockSize, 2)));
        a = inodes[0];
        b = inodes[1];
        return fs;
    }

    private static T Within<T>(Task<T> task, string what)
    {
        Assert.That(task.Wait(Patience), Is.True, $"{what} did not finish within {Patience.TotalSeconds} s");
        return task.Result;
    }

    /// <summary>Starts a read of "a" that the store holds, and returns once the store has it.</summary>
    private Task<byte[]> HeldRead(FileSystem fs, long a, int length)
    {
        Store.HoldNextRead();
        var reader = Task.Run(() => ReadAll(fs, a, length));
        Assert.That(Store.WaitUntilHeld(Patience), Is.True, "the cold read should reach the store");
        return reader;
    }

    [Test]
    public void AColdReadHeldInTheStoreHoldsUpNoOtherCall()
    {
        var fs = OpenCold(out long a, out long b);
        var reader = HeldRead(fs, a, 2 * BlockSize);
        var others = Task.Run(() =>
        {
            Ok(fs.Write(b, 0, Filled(BlockSize, 9), out _));
            Ok(fs.GetAttributes(a, out var attributes));
            Assert.That(attributes.Size, Is.EqualTo(2 * BlockSize));
            return ReadAll(fs, b, 2 * BlockSize);
        });
        var bBytes = Within(others, "a write, a stat and a read of another file while a cold read waits in the store");
        Assert.That(bBytes, Is.EqualTo(Filled(BlockSize, 9).Concat(Filled(BlockSize, 2))));
        Assert.That(reader.IsCompleted, Is.False, "the held read is still in the store");
        Store.Release();
        Assert.That(Within(reader, "the held read"), Is.EqualTo(Filled(2 * BlockSize, 1)));
    }

    /// <summary>A write and a read of "b" through the cache, which must finish while another call waits in the store.</summary>
    private static void AnotherFileGoesOn(FileSystem fs, long b, string meanwhile)
    {
        var others = Task.Run(() =>
        {
            Ok(fs.Write(b, 0, Filled(BlockSize, 8), out _));
            return ReadAll(fs, b, 2 * BlockSize);
        });
        Assert.That(Within(others, $"a write and a read of another file through the cache while {meanwhile}"),
            Is.EqualTo(Filled(BlockSize, 8).Concat(Filled(BlockSize, 2))));
    }

    [Test]
    public void AnUnalignedWriteReadsItsColdPartialBlockOutsideTheCachesLock()
    {
        var fs = OpenCold(out long a, out long b);
        Assert.That(ReadAll(fs, b, 2 * BlockSize), Is.EqualTo(Filled(2 * BlockSize, 2)));
        Ok(fs.GetAttributes(a, out var before));
        Store.HoldNextRead();
        var writer = Task.Run(() => fs.Write(a, 10, Filled(100, 7), out _));
        Assert.That(Store.WaitUntilHeld(Patience), Is.True, "the write's partial block is read from the store first");
        AnotherFileGoesOn(fs, b, "the partial block's read waits in the store");
        Assert.That(writer.IsCompleted, Is.False, "the write waits for its block");
        Store.Release();
        Assert.That(Within(writer, "the unaligned write"), Is.EqualTo(FsError.Ok));
        Ok(fs.GetAttributes(a, out var after));
        Assert.That(after.AccessTime, Is.EqualTo(before.AccessTime), "the write's read of its partial block leaves the access time alone");
        var expected = Filled(2 * BlockSize, 1);
        Filled(100, 7).CopyTo(expected, 10);
        Assert.That(ReadAll(fs, a, 2 * BlockSize), Is.EqualTo(expected));
        Ok(fs.GetExtents(a, out var extents));
        Assert.That(Store.ReadsOf(extents[0].PhysicalOffset / BlockSize), Is.EqualTo(1), "the write found its block loaded and read it no more");
    }

    /// <summary>
    /// A clone whose offsets differ within a block copies bytes; a cold source block is read from the
    /// store without the cache's lock (the clone keeps its two files' locks), so calls on other files
    /// go on through the cache meanwhile.
    /// </summary>
    [Test]
    public void AnUnalignedClonesColdSourceIsReadOutsideTheCachesLock()
    {
        var fs = OpenCold(out long a, out long b);
        Assert.That(ReadAll(fs, b, 2 * BlockSize), Is.EqualTo(Filled(2 * BlockSize, 2)));
        Ok(fs.Create(FileSystem.RootIno, "c", new CreateRequest(RegularFile, 0, 0), out var c));
        Store.HoldNextRead();
        var clone = Task.Run(() => (fs.CloneRange(a, 0, c.Ino, 1, 2 * BlockSize, out long cloned), cloned));
        Assert.That(Store.WaitUntilHeld(Patience), Is.True, "the clone's byte copy reads the cold source from the store");
        AnotherFileGoesOn(fs, b, "the clone's source read waits in the store");
        Assert.That(clone.IsCompleted, Is.False, "the clone waits for its source");
        Store.Release();
        var (e, cloned) = Within(clone, "the clone");
        Ok(e);
        Assert.That(cloned, Is.EqualTo(2 * BlockSize));
        Assert.That(ReadAll(fs, c.Ino, 2 * BlockSize, offset: 1), Is.EqualTo(Filled(2 * BlockSize, 1)));
    }

    [Test]
    public void TwoReadersOfOneColdBlockReadItOnce()
    {
        var fs = OpenCold(out long a, out _);
        var first = HeldRead(fs, a, BlockSize);
        var second = Task.Run(() => ReadAll(fs, a, BlockSize));
        Assert.That(second.Wait(TimeSpan.FromMilliseconds(300)), Is.False, "the second reader waits for the first one's load");
        Store.Release();
        Assert.That(Within(first, "the first read"), Is.EqualTo(Filled(BlockSize, 1)));
        Assert.That(Within(second, "the second read"), Is.EqualTo(Filled(BlockSize, 1)));
        int firstBlockReads = Store.ReadCalls.Count;
        Assert.That(firstBlockReads, Is.EqualTo(1), "one store read for both readers");
    }

    /// <summary>
    /// A change to the blocks a held read is loading: the read returns the old bytes or the new ones,
    /// never a mix, and the next read the new ones.
    /// </summary>
    [TestCase("write")]
    [TestCase("truncate")]
    [TestCase("punch")]
    [TestCase("clone+cow")]
    public void AChangeDuringALoadWins(string change)
    {
        var fs = OpenCold(out long a, out _);
        var old = Filled(2 * BlockSize, 1);
        long clone = 0;
        if (change == "clone+cow")
        {
            Ok(fs.Create(FileSystem.RootIno, "c", new CreateRequest(RegularFile, 0, 0), out var c));
            clone = c.Ino;
            Ok(fs.CloneRange(a, 0, clone, 0, 2 * BlockSize, out _));
        }
        var reader = HeldRead(fs, a, 2 * BlockSize);
        byte[] expected;
        // A write of blocks being loaded waits for the load, so the change runs beside the release.
        var changing = Task.Run(() =>
        {
            switch (change)
            {
                case "write":
                case "clone+cow":
                    Ok(fs.Write(a, 0, Filled(2 * BlockSize, 7), out _));
                    break;
                case "truncate":
                    Ok(fs.SetAttributes(a, new SetAttributesRequest(SetAttributeFields.Size, Size: 0), out _));
                    break;
                case "punch":
                    Ok(fs.Allocate(a, 0, 2 * BlockSize, AllocateMode.PunchHole));
                    break;
            }
            return true;
        });
        expected = change switch
        {
            "truncate" => Array.Empty<byte>(),
            "punch" => new byte[2 * BlockSize],
            _ => Filled(2 * BlockSize, 7),
        };
        Thread.Sleep(50);
        Store.Release();
        Within(changing, change);
        var got = Within(reader, "the held read");
        Assert.That(got, Is.EqualTo(old).Or.EqualTo(expected), "old bytes or new ones, never a mix");
        Assert.That(ReadAll(fs, a, 2 * BlockSize), Is.EqualTo(expected), "a later read returns the new bytes");
        if (clone != 0)
        {
            Assert.That(ReadAll(fs, clone, 2 * BlockSize), Is.EqualTo(old), "the clone keeps the old bytes");
        }
        Assert.That(fs.Check(), Is.Empty);
    }

    [Test]
    public void AFailedLoadAnswersEioAndCachesNothing()
    {
        var fs = OpenCold(out long a, out _);
        Store.FailReads = "Input/output error";
        var buffer = new byte[BlockSize];
        Assert.That(fs.Read(a, 0, buffer, out _), Is.EqualTo(FsError.Io));
        Store.FailReads = null;
        int before = Store.ReadCalls.Count;
        Assert.That(ReadAll(fs, a, BlockSize), Is.EqualTo(Filled(BlockSize, 1)));
        Assert.That(Store.ReadCalls.Count, Is.GreaterThan(before), "nothing was cached by the failed load");
        Assert.That(fs.Write(a, 0, Filled(BlockSize, 3), out _), Is.EqualTo(FsError.Ok), "the volume carries on");
    }

    [Test]
    public void AReadAfterDisposeWhileLoadingAnswersEio()
    {
        var fs = OpenCold(out long a, out _);
        Store.HoldNextRead();
        var reader = Task.Run(() => fs.Read(a, 0, new byte[BlockSize], out _));
        Assert.That(Store.WaitUntilHeld(Patience), Is.True, "the cold read should reach the store");
        var closing = Task.Run(() =>
        {
            fs.Dispose();
            return true;
        });
        // Under load the closing thread may start late: release the read only once the close has begun.
        Assert.That(SpinWait.SpinUntil(() => fs.IsClosing, Patience), Is.True, "dispose should begin while the read waits in the store");
        Store.Release();
        Within(closing, "dispose during a load");
        var buffer = new byte[BlockSize];
        Assert.That(Within(Task.Run(() => fs.Read(a, 0, buffer, out _)), "a read after dispose"), Is.EqualTo(FsError.Io));
        Assert.That(Within(reader, "the held read"), Is.EqualTo(FsError.Io), "the volume closed before the read could copy its bytes");
    }
}
