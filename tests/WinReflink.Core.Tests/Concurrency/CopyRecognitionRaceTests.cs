using System.Buffers.Binary;
using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Concurrency;

/// <summary>
/// Copy recognition while its sources change: a writer overwrites a source's blocks in place, fsyncs
/// them (so they are clean and indexed again) and now and then truncates and regrows it, while two
/// copiers read chunks of it and write them to their own files. Whatever the source holds meanwhile,
/// a copy must read back exactly the bytes its copier wrote: a shared block the source overwrote in
/// place after the byte compare, or one freed before its reference was added, would show the
/// source's newer bytes or zeros instead. Runs 3 s; WINREFLINK_STRESS_SECONDS sets the time.
/// </summary>
public class CopyRecognitionRaceTests : VolumeFixture
{
    private const uint RegularFile = 0x81A4;
    private const int Block = 4096;
    private const int SourceBlocks = 64;
    private const int ChunkBlocks = 8;

    [Test]
    public void ACopyReadsBackWhatItsCopierWroteWhileTheSourceChanges()
    {
        using var fs = FormatAndOpen();
        long src = Create(fs, "src");
        for (int b = 0; b < SourceBlocks; b++)
        {
            Ok(fs.Write(src, (long)b * Block, Pattern(b, 0), out _));
        }
        Ok(fs.Fsync(src));
        var duration = StressRun.Duration(3);
        using var stop = new CancellationTokenSource(duration);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var threads = new List<Thread>
        {
            new(() => Guard(failures, () => Mutate(fs, src, stop.Token))),
            new(() => Guard(failures, () => Copy(fs, src, Create(fs, "copy1"), 1, failures, stop.Token))),
            new(() => Guard(failures, () => Copy(fs, src, Create(fs, "copy2"), 2, failures, stop.Token))),
        };
        threads.ForEach(t => t.Start());
        foreach (var t in threads)
        {
            Assert.That(t.Join(StressRun.Watchdog(duration)), Is.True, "a thread hung");
        }
        Assert.That(failures, Is.Empty);
        long recognized = fs.CacheStatistics().RecognizedBlocks;
        TestContext.Out.WriteLine($"copy recognition shared {recognized} blocks");
        Assert.That(recognized, Is.GreaterThan(0), "the copiers' writes should be recognized while the source changes");
        Assert.That(fs.Check(), Is.Empty);
    }

    /// <summary>
    /// The rule the race above relies on, made deterministic: a block that one file maps alone is
    /// shared only while the copying write holds that file's lock, taken without waiting. While
    /// another call holds the source's lock exclusively (as a write overwriting it in place does), the
    /// copy's blocks are written, not shared, and nothing waits; once it lets go they are shared.
    /// </summary>
    [Test]
    public void ABlockMappedOnceIsSharedOnlyWhileItsOwnersLockCanBeHeld()
    {
        using var fs = FormatAndOpen();
        long src = Create(fs, "src");
        var bytes = new byte[16 * Block];
        new Random(3).NextBytes(bytes);
        Ok(fs.Write(src, 0, bytes, out _));
        Ok(fs.Fsync(src));
        long dst = Create(fs, "dst");
        for (int i = 0; Locking.EngineLocks.StripeOf(dst) == Locking.EngineLocks.StripeOf(src); i++)
        {
            dst = Create(fs, "dst" + i);
        }
        // Read before the lock is held: the statistics take the volume lock exclusively.
        long before = fs.CacheStatistics().RecognizedBlocks;
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            using (fs.HoldInodeExclusively(src))
            {
                held.Set();
                release.Wait();
            }
        });
        holder.Start();
        held.Wait();
        var write = Task.Run(() => fs.Write(dst, 0, bytes, out _));
        Assert.That(write.Wait(TimeSpan.FromSeconds(20)), Is.True, "the copying write must not wait for the source's lock");
        Ok(write.Result);
        release.Set();
        holder.Join();
        Assert.That(fs.CacheStatistics().RecognizedBlocks, Is.EqualTo(before), "not shared while the source's lock is held by a writer");
        Ok(fs.Write(dst, 0, bytes, out _));
        Assert.That(fs.CacheStatistics().RecognizedBlocks - before, Is.EqualTo(16), "shared once the lock is free");
        var back = new byte[bytes.Length];
        Ok(fs.Read(dst, 0, back, out _));
        Assert.That(back, Is.EqualTo(bytes));
        Assert.That(fs.Check(), Is.Empty);
    }

    private static long Create(FileSystem fs, string name)
    {
        Ok(fs.Create(FileSystem.RootIno, name, new CreateRequest(RegularFile, 0, 0), out var attr));
        return attr.Ino;
    }

    private static void Ok(FsError e) => Assert.That(e, Is.EqualTo(FsError.Ok));

    /// <summary>A block's bytes naming the block and its version, so no two versions of any blocks are equal.</summary>
    private static byte[] Pattern(int block, int version)
    {
        var bytes = new byte[Block];
        for (int i = 0; i < Block; i += 8)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i), ((long)version << 32) | ((long)block << 16) | (uint)i);
        }
        return bytes;
    }

    private static void Guard(System.Collections.Concurrent.ConcurrentQueue<string> failures, Action body)
    {
        try
        {
            body();
        }
        catch (Exception e)
        {
            failures.Enqueue(e.ToString());
        }
    }

    /// <summary>Overwrites blocks in place and fsyncs; every 40th step truncates the source to half and writes the rest again, freeing blocks.</summary>
    private static void Mutate(FileSystem fs, long src, CancellationToken stop)
    {
        var rng = new Random(1);
        for (int version = 1; !stop.IsCancellationRequested; version++)
        {
            if (version % 40 == 0)
            {
                Ok(fs.SetAttributes(src, new SetAttributesRequest(SetAttributeFields.Size, Size: SourceBlocks / 2 * Block), out _));
                for (int b = SourceBlocks / 2; b < SourceBlocks; b++)
                {
                    Ok(fs.Write(src, (long)b * Block, Pattern(b, version), out _));
                }
            }
            int block = rng.Next(SourceBlocks);
            Ok(fs.Write(src, (long)block * Block, Pattern(block, version), out _));
            if (version % 4 == 0)
            {
                Ok(fs.Fsync(src));
            }
        }
    }

    private static void Copy(FileSystem fs, long src, long dst, int seed, System.Collections.Concurrent.ConcurrentQueue<string> failures, CancellationToken stop)
    {
        var rng = new Random(seed);
        var chunk = new byte[ChunkBlocks * Block];
        var back = new byte[chunk.Length];
        while (!stop.IsCancellationRequested)
        {
            long offset = (long)rng.Next(SourceBlocks - ChunkBlocks + 1) * Block;
            Ok(fs.Read(src, offset, chunk, out int n));
            if (n < chunk.Length)
            {
                // The source is shorter for a moment (truncated, being regrown): copy what there is.
                Array.Clear(chunk, n, chunk.Length - n);
            }
            Ok(fs.Write(dst, offset, chunk, out _));
            Ok(fs.Read(dst, offset, back, out int m));
            if (m != back.Length || !back.AsSpan().SequenceEqual(chunk))
            {
                failures.Enqueue($"copy {dst} at {offset} reads back other bytes than its copier wrote ({m} bytes read)");
                return;
            }
        }
    }
}
