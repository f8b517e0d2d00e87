using WinReflink.Core.Errors;
using WinReflink.Core.Tests.Crash;

namespace WinReflink.Core.Tests.Transaction;

/// <summary>
/// A commit is written without the volume lock: while its data-file flush is held here, other calls
/// go on in the next transaction, and what they do must keep the commit being written, and the one
/// before it, safe to return to after a crash.
/// </summary>
public class CommitInFlightTests : VolumeFixture
{
    private const uint RegularFile = 0x81A4;
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    /// <summary>How long a call that must wait for the held commit is watched: it can only fail to return in time, never too early.</summary>
    private static readonly TimeSpan Blocked = TimeSpan.FromMilliseconds(300);

    private CrashImage? _image;

    private (FileSystem Fs, HeldFlushBlockStore Store) Open(long sizeBytes = 64L << 20)
    {
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = sizeBytes });
        HeldFlushBlockStore? store = null;
        var fs = FileSystem.Open(Folder, new OpenOptions
        {
            CommitInterval = TimeSpan.Zero,
            CacheSizeBytes = 8L << 20,
            BlockStoreFactory = s => store = new HeldFlushBlockStore(_image = new CrashImage(s.BlockSize, s.CapacityBlocks)),
        });
        return (fs, store!);
    }

    private FileSystem CrashAndReopen(FileSystem fs, CrashPolicy policy)
    {
        fs.SimulateCrash();
        _image!.Crash(new Random(7), policy);
        var again = FileSystem.Open(Folder, new OpenOptions
        {
            CommitInterval = TimeSpan.Zero,
            BlockStoreFactory = s => new CrashingBlockStore(_image, s.BlockSize, s.CapacityBlocks),
        });
        Assert.That(again.Check(), Is.Empty);
        return again;
    }

    private static long CreateWith(FileSystem fs, string name, byte[] data)
    {
        Assert.That(fs.Create(FileSystem.RootIno, name, new CreateRequest(RegularFile, 0, 0), out var attr), Is.EqualTo(FsError.Ok));
        Assert.That(fs.Write(attr.Ino, 0, data, out _), Is.EqualTo(FsError.Ok));
        return attr.Ino;
    }

    private static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static byte[] Content(FileSystem fs, string name)
    {
        Assert.That(fs.Lookup(FileSystem.RootIno, name, out var attr), Is.EqualTo(FsError.Ok), name);
        var content = new byte[attr.Size];
        Assert.That(fs.Read(attr.Ino, 0, content, out int read), Is.EqualTo(FsError.Ok));
        Assert.That(read, Is.EqualTo(content.Length));
        return content;
    }

    private static List<(long Start, long End)> Physical(FileSystem fs, long ino)
    {
        Assert.That(fs.GetExtents(ino, out var extents), Is.EqualTo(FsError.Ok));
        return extents.Select(e => (e.PhysicalOffset, e.PhysicalOffset + e.Length)).ToList();
    }

    /// <summary>
    /// Runs <paramref name="call"/> on a thread of its own and returns once that thread waits (a thread
    /// pool task could start only after the held commit is released, and prove nothing).
    /// </summary>
    private static (Thread Thread, Func<FsError> Result) StartWaiting(Func<FsError> call)
    {
        FsError result = FsError.Io;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = call();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (thread.IsAlive && (thread.ThreadState & ThreadState.WaitSleepJoin) == 0 && watch.Elapsed < Long)
        {
            Thread.Sleep(1);
        }
        return (thread, () =>
        {
            Assert.That(thread.Join(Long), Is.True, "the call returned once the commit was released");
            Assert.That(failure, Is.Null);
            return result;
        });
    }

    /// <summary>Starts a sync on another thread and returns once its commit waits in the held data-file flush.</summary>
    private static Task<FsError> HeldSync(FileSystem fs, HeldFlushBlockStore store)
    {
        store.HoldNextFlush();
        var sync = Task.Run(fs.Sync);
        Assert.That(store.WaitUntilHeld(), Is.True, "the commit reached its data-file flush");
        return sync;
    }

    [Test]
    public void CallsGoOnWhileACommitIsWrittenAndTheNextCommitWaitsForIt()
    {
        var (fs, store) = Open();
        var a = Bytes(64 << 10, 1);
        var b = Bytes(64 << 10, 2);
        long inoA = CreateWith(fs, "a", a);
        var sync = HeldSync(fs, store);
        long inoB = 0;
        var work = Task.Run(() =>
        {
            inoB = CreateWith(fs, "b", b);
            Assert.That(Content(fs, "a"), Is.EqualTo(a));
            Assert.That(fs.GetAttributes(inoA, out _), Is.EqualTo(FsError.Ok));
        });
        Assert.That(work.Wait(Long), Is.True, "create, write, read and stat ran while the commit was in its flush");
        var fsyncB = StartWaiting(() => fs.Fsync(inoB));
        Assert.That(fsyncB.Thread.Join(Blocked), Is.False, "b's changes are in the next commit, which is written after the held one");
        store.Release();
        Assert.That(sync.Wait(Long), Is.True);
        Assert.That((sync.Result, fsyncB.Result()), Is.EqualTo((FsError.Ok, FsError.Ok)));
        using var again = CrashAndReopen(fs, CrashPolicy.DropPending);
        Assert.That(Content(again, "a"), Is.EqualTo(a));
        Assert.That(Content(again, "b"), Is.EqualTo(b), "fsync'd data survives the crash");
    }

    [Test]
    public void TheCommitWritesItsDirtyBlocksWithoutTheLockAndATruncateMeanwhileLosesNothingOfIt()
    {
        var (fs, store) = Open();
        var f = Bytes(64 << 10, 13);
        long inoF = CreateWith(fs, "f", f);
        store.HoldNextWriteOf(Physical(fs, inoF).Single().Start / 4096);
        var sync = Task.Run(fs.Sync);
        Assert.That(store.WaitUntilHeld(), Is.True, "the commit writes f's dirty blocks");
        var work = Task.Run(() =>
        {
            CreateWith(fs, "g", Bytes(64 << 10, 14));
            // f's blocks are freed in the next transaction while the commit that maps them still writes them.
            Assert.That(fs.SetAttributes(inoF, new SetAttributesRequest(SetAttributeFields.Size, Size: 0), out _), Is.EqualTo(FsError.Ok));
        });
        Assert.That(work.Wait(Long), Is.True, "calls went on while the commit wrote its data");
        store.Release();
        Assert.That(sync.Wait(Long), Is.True);
        Assert.That(sync.Result, Is.EqualTo(FsError.Ok));
        using var again = CrashAndReopen(fs, CrashPolicy.DropPending);
        Assert.That(Content(again, "f"), Is.EqualTo(f), "the commit holds f with the bytes it had at the capture");
        Assert.That(again.Lookup(FileSystem.RootIno, "g", out _), Is.EqualTo(FsError.NotFound));
    }

    [Test]
    public void AnFsyncWhoseChangesAreInTheCommitBeingWrittenWaitsForThatCommitOnly()
    {
        var (fs, store) = Open();
        var a = Bytes(40_000, 3);
        long inoA = CreateWith(fs, "a", a);
        var sync = HeldSync(fs, store);
        CreateWith(fs, "b", Bytes(40_000, 4));
        var fsyncA = StartWaiting(() => fs.Fsync(inoA));
        Assert.That(fsyncA.Thread.Join(Blocked), Is.False, "a's changes are in the held commit");
        store.Release();
        Assert.That(sync.Wait(Long), Is.True);
        Assert.That((fsyncA.Result(), sync.Result), Is.EqualTo((FsError.Ok, FsError.Ok)));
        using var again = CrashAndReopen(fs, CrashPolicy.DropPending);
        Assert.That(Content(again, "a"), Is.EqualTo(a));
        Assert.That(again.Lookup(FileSystem.RootIno, "b", out _), Is.EqualTo(FsError.NotFound), "fsync of a did not commit b, created after the capture");
    }

    [Test]
    public void BlocksTheCommitBeingWrittenFreesAreNotReusedUntilItIsDurable()
    {
        var (fs, store) = Open();
        // y, then z right after it: y's next block would go where z's first block is.
        long inoY = CreateWith(fs, "y", Bytes(64 << 10, 4));
        var z = Bytes(256 << 10, 5);
        long inoZ = CreateWith(fs, "z", z);
        Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
        var freed = Physical(fs, inoZ);
        Assert.That(freed.Single().Start, Is.EqualTo(Physical(fs, inoY).Single().End), "z lies right after y");
        Assert.That(fs.SetAttributes(inoZ, new SetAttributesRequest(SetAttributeFields.Size, Size: 0), out _), Is.EqualTo(FsError.Ok));
        var sync = HeldSync(fs, store);
        Assert.That(fs.Write(inoY, 64 << 10, Bytes(64 << 10, 6), out _), Is.EqualTo(FsError.Ok));
        var taken = Physical(fs, inoY);
        Assert.That(taken.Any(t => freed.Any(f => t.Start < f.End && f.Start < t.End)), Is.False,
            "y's append while the commit that frees z's blocks is unwritten must not get them: the commit before still maps them");
        store.Release(cut: true);
        Assert.That(sync.Wait(Long), Is.True);
        Assert.That(sync.Result, Is.EqualTo(FsError.Io));
        Assert.That(fs.Failure, Is.Not.Null);
        using var again = CrashAndReopen(fs, CrashPolicy.TornPending);
        Assert.That(Content(again, "z"), Is.EqualTo(z), "the power cut returns to the commit before, where z still has its bytes");
        Assert.That(Content(again, "y"), Has.Length.EqualTo(64 << 10));
    }

    [Test]
    public void AnAppendWhileTheCommitIsWrittenCopiesTheEofBlockThatCommitHolds()
    {
        var (fs, store) = Open();
        long ino = CreateWith(fs, "log", Bytes(100, 8));
        var sync = HeldSync(fs, store);
        long held = Physical(fs, ino).Single().Start;
        Assert.That(fs.Write(ino, 100, Bytes(100, 9), out _), Is.EqualTo(FsError.Ok));
        long copy = Physical(fs, ino).Single().Start;
        Assert.That(copy, Is.Not.EqualTo(held), "the held commit may become durable with 100 bytes in that block: it keeps zeros past them");
        Assert.That(fs.Write(ino, 200, Bytes(100, 10), out _), Is.EqualTo(FsError.Ok));
        Assert.That(Physical(fs, ino).Single().Start, Is.EqualTo(copy), "the copy belongs to the running transaction and takes later appends in place");
        store.Release();
        Assert.That(sync.Wait(Long), Is.True);
        Assert.That(sync.Result, Is.EqualTo(FsError.Ok));
        fs.Dispose();
    }

    [Test]
    public void AWriteThatNeedsTheBlocksTheCommitBeingWrittenFreesWaitsForItAndSucceeds()
    {
        var (fs, store) = Open(sizeBytes: 8L << 20);
        long inoZ = CreateWith(fs, "z", Bytes(6 << 20, 11));
        Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
        Assert.That(fs.SetAttributes(inoZ, new SetAttributesRequest(SetAttributeFields.Size, Size: 0), out _), Is.EqualTo(FsError.Ok));
        var sync = HeldSync(fs, store);
        // 6 MiB of z and 5 MiB of w do not fit in 8 MiB: w needs the blocks z freed.
        var data = Bytes(5 << 20, 12);
        long inoW = 0;
        var write = StartWaiting(() =>
        {
            var e = fs.Create(FileSystem.RootIno, "w", new CreateRequest(RegularFile, 0, 0), out var attr);
            inoW = attr.Ino;
            return e == FsError.Ok ? fs.Write(inoW, 0, data, out _) : e;
        });
        Assert.That(write.Thread.Join(Blocked), Is.False, "the write waits for the commit that frees z's blocks");
        store.Release();
        Assert.That(write.Result(), Is.EqualTo(FsError.Ok));
        Assert.That(sync.Wait(Long), Is.True);
        Assert.That(sync.Result, Is.EqualTo(FsError.Ok));
        Assert.That(Content(fs, "w"), Is.EqualTo(data));
        Assert.That(fs.Check(), Is.Empty);
        fs.Dispose();
    }
}
