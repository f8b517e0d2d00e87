using WinReflink.Core.Errors;
using WinReflink.Core.Locking;
using WinReflink.Core.Tests.Crash;
using WinReflink.Core.Tests.Transaction;

namespace WinReflink.Core.Tests.Concurrency;

/// <summary>
/// Reads, writes, stats and namespace changes hold the volume lock shared and the locks of the inodes
/// they touch: a write of one file that waits (here at the dirty limit, while the background writer's
/// batch is held in the store) holds up that file's readers and changers and the few calls that take
/// the volume exclusively (a directory's rename), and nothing else. A clone step holds its source's
/// lock shared and its destination's exclusive.
/// </summary>
public class InodeLockTests : VolumeFixture
{
    private const uint RegularFile = 0x81A4;
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    /// <summary>How long a call that must wait is watched: it can only fail to return in time, never too early.</summary>
    private static readonly TimeSpan Blocked = TimeSpan.FromMilliseconds(300);

    private (FileSystem Fs, HeldFlushBlockStore Store) Open()
    {
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = 64L << 20 });
        HeldFlushBlockStore? store = null;
        var fs = FileSystem.Open(Folder, new OpenOptions
        {
            CommitInterval = TimeSpan.Zero,
            CacheSizeBytes = 8L << 20,
            // The smallest limit there is: one window of dirty blocks.
            DirtyLimitBytes = 1,
            BlockStoreFactory = s => store = new HeldFlushBlockStore(new CrashImage(s.BlockSize, s.CapacityBlocks)),
        });
        return (fs, store!);
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

    private static byte[] ReadAll(FileSystem fs, long ino, int length)
    {
        var buffer = new byte[length];
        Assert.That(fs.Read(ino, 0, buffer, out int read), Is.EqualTo(FsError.Ok));
        Assert.That(read, Is.EqualTo(length));
        return buffer;
    }

    private static T Within<T>(Task<T> task, string what)
    {
        Assert.That(task.Wait(Long), Is.True, $"{what} did not finish within {Long.TotalSeconds} s");
        return task.Result;
    }

    /// <summary>
    /// File "a" with one committed block at a known physical block, file "b" committed and cached; then
    /// a write of "a" large enough to pass the dirty limit, whose background batch waits in the store.
    /// Returns once that write waits at the limit.
    /// </summary>
    private static (long A, long B, byte[] BBytes, Task<FsError> Writer, byte[] Written) HeldWriter(FileSystem fs, HeldFlushBlockStore store)
    {
        var bBytes = Bytes(2 * fs.BlockSize, 2);
        long a = CreateWith(fs, "a", Bytes(fs.BlockSize, 1));
        long b = CreateWith(fs, "b", bBytes);
        Assert.That(EngineLocks.StripeOf(a), Is.Not.EqualTo(EngineLocks.StripeOf(FileSystem.RootIno)), "the written file's lock is not the root directory's");
        Assert.That(EngineLocks.StripeOf(a), Is.Not.EqualTo(EngineLocks.StripeOf(b)), "nor the other file's");
        Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
        Assert.That(ReadAll(fs, b, bBytes.Length), Is.EqualTo(bBytes));
        Assert.That(fs.GetExtents(a, out var extents), Is.EqualTo(FsError.Ok));
        store.HoldNextWriteOf(extents[0].PhysicalOffset / fs.BlockSize);
        var written = Bytes(40 * fs.BlockSize, 3);
        var writer = Task.Run(() => fs.Write(a, 0, written, out _));
        Assert.That(store.WaitUntilHeld(), Is.True, "the background writer's batch reached the store");
        Assert.That(writer.Wait(Blocked), Is.False, "the write waits at the dirty limit for that batch");
        return (a, b, bBytes, writer, written);
    }

    [Test]
    public void AWriteWaitingAtTheDirtyLimitHoldsUpOnlyItsOwnFile()
    {
        var (fs, store) = Open();
        using (fs)
        {
            // A failed assertion must let the held batch go, or disposing the volume waits for it for ever.
            using var releaseOnFailure = new Releaser(store);
            var (a, b, bBytes, writer, written) = HeldWriter(fs, store);
            var others = Task.Run(() =>
            {
                Assert.That(fs.GetAttributes(b, out var attributes), Is.EqualTo(FsError.Ok));
                Assert.That(attributes.Size, Is.EqualTo(bBytes.Length));
                Assert.That(fs.Lookup(FileSystem.RootIno, "b", out var found), Is.EqualTo(FsError.Ok));
                Assert.That(found.Ino, Is.EqualTo(b));
                Assert.That(fs.Reference(b, out _), Is.EqualTo(FsError.Ok));
                Assert.That(fs.OpenInode(b), Is.EqualTo(FsError.Ok));
                var names = new List<string>();
                Assert.That(fs.ReadDirectory(FileSystem.RootIno, 0, entry => { names.Add(entry.Name); return true; }), Is.EqualTo(FsError.Ok));
                Assert.That(names, Does.Contain("a").And.Contain("b"));
                var bytes = ReadAll(fs, b, bBytes.Length);
                Assert.That(fs.Flush(b), Is.EqualTo(FsError.Ok));
                Assert.That(fs.Release(b), Is.EqualTo(FsError.Ok));
                fs.Unreference(b, 1);
                return bytes;
            });
            Assert.That(Within(others, "a lookup, a listing, an open, a stat, a read, a close and a forget of another file while a write waits at the dirty limit"), Is.EqualTo(bBytes));
            Assert.That(writer.IsCompleted, Is.False, "the write still waits");

            Assert.That(Within(Task.Run(() => fs.GetAttributes(a, out _)), "a stat of the file being written"), Is.EqualTo(FsError.Ok), "a stat takes no inode lock");
            Assert.That(Within(Task.Run(() => fs.Rename(FileSystem.RootIno, "b", FileSystem.RootIno, "c", RenameFlags.None)), "a rename of another file"),
                Is.EqualTo(FsError.Ok), "moving a file to a new name locks the directories, not the volume");
            Assert.That(Within(Task.Run(() => fs.Link(b, FileSystem.RootIno, "b2", out _)), "a link of another file"), Is.EqualTo(FsError.Ok));
            var namespaceCalls = Task.Run(() =>
            {
                var request = new CreateRequest(RegularFile, 0, 0);
                Assert.That(fs.Create(FileSystem.RootIno, "d", request, out var d), Is.EqualTo(FsError.Ok), "create");
                Assert.That(fs.Mkdir(FileSystem.RootIno, "dir", new CreateRequest(0x1ED, 0, 0), out var dir), Is.EqualTo(FsError.Ok), "mkdir");
                Assert.That(fs.Create(dir.Ino, "e", request, out _), Is.EqualTo(FsError.Ok), "create in the new directory");
                Assert.That(fs.Rename(FileSystem.RootIno, "d", FileSystem.RootIno, "b2", RenameFlags.None), Is.EqualTo(FsError.Ok), "a rename that replaces a name");
                Assert.That(fs.Unlink(dir.Ino, "e"), Is.EqualTo(FsError.Ok), "unlink");
                Assert.That(fs.Rmdir(FileSystem.RootIno, "dir"), Is.EqualTo(FsError.Ok), "rmdir");
                // To a whole block: a partial one would be zeroed, a write that waits at the dirty limit like any other.
                Assert.That(fs.SetAttributes(b, new SetAttributesRequest(SetAttributeFields.Size | SetAttributeFields.Mode, Mode: 0x180, Size: fs.BlockSize), out var truncated), Is.EqualTo(FsError.Ok), "a truncate and a chmod");
                Assert.That(truncated.Size, Is.EqualTo(fs.BlockSize));
                Assert.That(fs.Allocate(b, 0, 8L * fs.BlockSize, AllocateMode.KeepSize), Is.EqualTo(FsError.Ok), "fallocate");
                Assert.That(fs.Allocate(b, 0, fs.BlockSize, AllocateMode.PunchHole), Is.EqualTo(FsError.Ok), "a punched hole of whole blocks");
                Assert.That(fs.SetXattr(d.Ino, "user.k", [1, 2, 3], XattrFlags.None), Is.EqualTo(FsError.Ok), "setxattr");
                Assert.That(fs.GetXattr(d.Ino, "user.k", out var value), Is.EqualTo(FsError.Ok));
                Assert.That(value, Is.EqualTo(new byte[] { 1, 2, 3 }));
                Assert.That(fs.CreateTemporary(FileSystem.RootIno, request, out var temporary), Is.EqualTo(FsError.Ok), "O_TMPFILE");
                Assert.That(fs.Link(temporary.Ino, FileSystem.RootIno, "kept", out _), Is.EqualTo(FsError.Ok), "a link giving it a name");
                Assert.That(fs.Release(temporary.Ino), Is.EqualTo(FsError.Ok));
                return fs.StatFs().FreeBlocks;
            });
            Assert.That(Within(namespaceCalls, "creates, mkdir, unlink, rmdir, a replacing rename, a truncate, fallocate, setxattr, O_TMPFILE and statfs elsewhere while a write waits at the dirty limit"), Is.GreaterThan(0));
            Assert.That(writer.IsCompleted, Is.False, "the write still waits");

            var readA = Task.Run(() => fs.Read(a, 0, new byte[fs.BlockSize], out _));
            var chmodA = Task.Run(() => fs.SetAttributes(a, new SetAttributesRequest(SetAttributeFields.Mode, Mode: 0x180), out _));
            Assert.That(fs.Mkdir(FileSystem.RootIno, "moved", new CreateRequest(0x1ED, 0, 0), out _), Is.EqualTo(FsError.Ok));
            var directoryMove = Task.Run(() => fs.Rename(FileSystem.RootIno, "moved", FileSystem.RootIno, "moved2", RenameFlags.None));
            Assert.That(readA.Wait(Blocked), Is.False, "a read of the file being written waits for the write");
            Assert.That(chmodA.Wait(Blocked), Is.False, "so does a chmod of it");
            Assert.That(directoryMove.Wait(Blocked), Is.False, "a directory's rename takes the volume exclusively and waits for the write");

            store.Release();
            Assert.That(Within(writer, "the write"), Is.EqualTo(FsError.Ok));
            Assert.That(Within(readA, "the read of the written file"), Is.EqualTo(FsError.Ok));
            Assert.That(Within(chmodA, "the chmod of the written file"), Is.EqualTo(FsError.Ok));
            Assert.That(Within(directoryMove, "the directory's rename"), Is.EqualTo(FsError.Ok));
            Assert.That(ReadAll(fs, a, written.Length), Is.EqualTo(written));
            Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Check(), Is.Empty);
        }
    }

    [Test]
    public void ACloneStepHoldsUpOnlyItsTwoFiles()
    {
        var (fs, store) = Open();
        using (fs)
        {
            using var releaseOnFailure = new Releaser(store);
            int bs = fs.BlockSize;
            var source = Bytes(64 * bs, 4);
            long src = CreateWith(fs, "src", source);
            long dst = CreateWith(fs, "dst", Bytes(bs, 5));
            var otherBytes = Bytes(bs, 6);
            long other = CreateWith(fs, "other", otherBytes);
            Assert.That(EngineLocks.StripeOf(src), Is.Not.EqualTo(EngineLocks.StripeOf(dst)), "the two files' locks are different stripes");
            Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
            Assert.That(ReadAll(fs, src, source.Length), Is.EqualTo(source));
            Assert.That(ReadAll(fs, other, otherBytes.Length), Is.EqualTo(otherBytes));
            Assert.That(fs.GetExtents(dst, out var extents), Is.EqualTo(FsError.Ok));
            // The destination's committed block is overwritten in place by the clone's byte copy (the
            // offsets differ modulo the block size), and the copy passes the dirty limit: the step waits
            // for the background writer's batch, held here, with both files locked.
            store.HoldNextWriteOf(extents[0].PhysicalOffset / bs);
            long length = 40L * bs;
            var clone = Task.Run(() => (fs.CloneRange(src, 1, dst, 0, length, out long cloned), cloned));
            Assert.That(store.WaitUntilHeld(), Is.True, "the background writer's batch reached the store");
            Assert.That(clone.Wait(Blocked), Is.False, "the clone step waits at the dirty limit");

            var readers = Task.Run(() =>
            {
                Assert.That(fs.GetAttributes(src, out _), Is.EqualTo(FsError.Ok));
                Assert.That(ReadAll(fs, other, otherBytes.Length), Is.EqualTo(otherBytes));
                return ReadAll(fs, src, source.Length);
            });
            Assert.That(Within(readers, "a stat and a read of the source, and a read of another file, during a clone step"), Is.EqualTo(source));
            var readDst = Task.Run(() => fs.Read(dst, 0, new byte[bs], out _));
            var writeSrc = Task.Run(() => fs.Write(src, 0, Bytes(bs, 7), out _));
            Assert.That(readDst.Wait(Blocked), Is.False, "the destination is locked for the step");
            Assert.That(writeSrc.Wait(Blocked), Is.False, "a write of the source waits for the step");

            store.Release();
            var (e, cloned) = Within(clone, "the clone");
            Assert.That(e, Is.EqualTo(FsError.Ok));
            Assert.That(cloned, Is.EqualTo(length));
            Assert.That(Within(readDst, "the read of the destination"), Is.EqualTo(FsError.Ok));
            Assert.That(Within(writeSrc, "the write of the source"), Is.EqualTo(FsError.Ok));
            Assert.That(ReadAll(fs, dst, (int)length), Is.EqualTo(source.AsSpan(1, (int)length).ToArray()), "the destination holds the source's bytes as they were before the write that waited");
            Assert.That(fs.Sync(), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Check(), Is.Empty);
        }
    }

    private sealed class Releaser(HeldFlushBlockStore store) : IDisposable
    {
        public void Dispose() => store.Release();
    }
}
