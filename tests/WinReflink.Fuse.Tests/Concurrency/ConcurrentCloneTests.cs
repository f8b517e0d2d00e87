using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Concurrency;

/// <summary>
/// Several programs at once on the host's worker threads: each writes its own file and clones it
/// (a clone must carry every write that returned before it, invariant 6) while all of them clone one
/// shared source, and reads must match what each thread knows it wrote.
/// </summary>
public sealed class ConcurrentCloneTests : MountedTest
{
    private const int Threads = 4;
    private const int Rounds = 150;
    private const int FileBytes = 1 << 20;

    [Test]
    public void WritesAndClonesFromManyThreadsStayConsistent()
    {
        var shared = new byte[FileBytes];
        new Random(99).NextBytes(shared);
        File.WriteAllBytes(P("shared"), shared);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() => Worker(t, shared, failures))).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        Assert.That(failures, Is.Empty);
        Assert.That(File.ReadAllBytes(P("shared")), Is.EqualTo(shared), "the shared source was never written");
    }

    private void Worker(int id, byte[] shared, System.Collections.Concurrent.ConcurrentQueue<string> failures)
    {
        var random = new Random(id);
        var model = new byte[FileBytes];
        string own = P($"own{id}"), clone = P($"clone{id}"), copy = P($"copy{id}");
        int fd = Libc.Open(own, Libc.ORdWr | Libc.OCreat);
        int sharedFd = Libc.Open(P("shared"), Libc.ORdOnly);
        try
        {
            Libc.FTruncate(fd, FileBytes);
            var buffer = new byte[FileBytes];
            for (int round = 0; round < Rounds; round++)
            {
                int offset = random.Next(FileBytes - 8192), length = random.Next(1, 8192);
                var data = new byte[length];
                random.NextBytes(data);
                Libc.PWriteFully(fd, data, offset);
                data.CopyTo(model, offset);

                int dst = Libc.Open(clone, Libc.ORdWr | Libc.OCreat | Libc.OTrunc);
                try
                {
                    long n = Libc.CopyFileRange(fd, 0, dst, 0, FileBytes);
                    if (n != FileBytes)
                    {
                        failures.Enqueue($"thread {id} round {round}: copy_file_range returned {n}");
                        return;
                    }
                    Libc.PReadFully(dst, buffer, 0);
                }
                finally
                {
                    Libc.Close(dst);
                }
                if (!buffer.AsSpan().SequenceEqual(model))
                {
                    failures.Enqueue($"thread {id} round {round}: the clone differs from what was written before it at {buffer.AsSpan().CommonPrefixLength(model)}");
                    return;
                }
                int copyFd = Libc.Open(copy, Libc.ORdWr | Libc.OCreat | Libc.OTrunc);
                try
                {
                    long aligned = random.Next(FileBytes / 4096) * 4096L;
                    long n = Libc.CopyFileRange(sharedFd, aligned, copyFd, 0, FileBytes - aligned);
                    Libc.PWriteFully(copyFd, [(byte)round], 0);
                    Libc.PReadFully(copyFd, buffer.AsSpan(0, (int)n), 0);
                    if (buffer[0] != (byte)round || !buffer.AsSpan(1, (int)n - 1).SequenceEqual(shared.AsSpan((int)aligned + 1, (int)n - 1)))
                    {
                        failures.Enqueue($"thread {id} round {round}: the copy of the shared file is wrong");
                        return;
                    }
                }
                finally
                {
                    Libc.Close(copyFd);
                }
            }
        }
        catch (PosixException e)
        {
            failures.Enqueue($"thread {id}: {e.Message}");
        }
        finally
        {
            Libc.Close(fd);
            Libc.Close(sharedFd);
        }
    }
}
