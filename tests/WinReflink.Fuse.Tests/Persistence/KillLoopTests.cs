using System.Security.Cryptography;
using WinReflink.Core;
using WinReflink.Fuse.Tests.Infrastructure;

namespace WinReflink.Fuse.Tests.Persistence;

/// <summary>
/// The mount process killed (SIGKILL) at a random moment, round after round, while a program writes,
/// fsyncs, clones with `cp` (copy_file_range, a reflink here) and overwrites clones. After each kill:
/// the dead mount is cleared, `check` must find the volume as the kill left it clean, and
/// after a remount every file recorded after its fsync has the bytes it had then. An overwrite the
/// kill interrupted may be torn at block granularity where it rewrote blocks in place, as on ext4 and
/// XFS: each block holds the bytes from before or after it, at the size from before. Seeded; rounds
/// and seed from WINREFLINK_KILL_ROUNDS and WINREFLINK_KILL_SEED for long runs.
/// </summary>
public sealed class KillLoopTests
{
    private const string Absent = "absent";
    private const int BlockSize = 4096;

    [Test]
    public void FsyncedFilesSurviveRepeatedKills()
    {
        int rounds = int.TryParse(Environment.GetEnvironmentVariable("WINREFLINK_KILL_ROUNDS"), out int r) ? r : 20;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("WINREFLINK_KILL_SEED"), out int s) ? s : 1;
        var random = new Random(seed);
        // What each recorded file may hold after a kill: its last fsync'd checksum, or, while a change to it
        // was in flight, the one before too (or absence, for a removal).
        var expected = new Dictionary<string, HashSet<string>>();
        // The overwrite in flight when the mount died: its file's bytes before and after.
        var inFlight = new Dictionary<string, (byte[] Before, byte[] After)>();
        int clones = 0;
        using var area = TestArea.Create();
        var mount = MountProcess.Start(area.Volume, area.MountPoint);
        try
        {
            for (int round = 0; round < rounds; round++)
            {
                var workload = new Workload(area.MountPoint, round, new Random(random.Next()), expected, inFlight);
                var thread = new Thread(workload.Run) { IsBackground = true, Name = $"kill-loop-{round}" };
                thread.Start();
                Thread.Sleep(random.Next(100, 1000));
                mount.Kill();
                Assert.That(thread.Join(TimeSpan.FromSeconds(60)), Is.True, $"round {round}: the workload ended after the kill");
                clones += workload.Clones;
                mount.Dispose();

                Assert.That(Libc.DetachMount(area.MountPoint), Is.Zero, $"round {round}: clearing the dead mount");
                CheckAsKilled(area.Volume, $"seed {seed} round {round}");

                mount = MountProcess.Start(area.Volume, area.MountPoint);
                Verify(area.MountPoint, expected, inFlight, $"seed {seed} round {round}");
            }
            Assert.That(clones, Is.GreaterThan(0), "the workload cloned with cp");
            TestContext.Progress.WriteLine($"kill loop: seed {seed}, {rounds} rounds, {clones} clones, {expected.Count} files verified at the end");
            mount.Unmount();
            VolumeCheck.AssertClean(area.Volume);
        }
        finally
        {
            mount.Dispose();
        }
    }

    /// <summary>`check` of the volume exactly as the kill left it: opened read-only, so no orphan is reclaimed first.</summary>
    private static void CheckAsKilled(string volume, string where)
    {
        using var fs = FileSystem.Open(volume, new OpenOptions { ReadOnly = true, CacheSizeBytes = 64L << 20 });
        var violations = fs.Check();
        Assert.That(violations, Is.Empty, $"{where}: check after the kill:\n" + string.Join('\n', violations.Take(20)));
    }

    private static void Verify(string mountPoint, Dictionary<string, HashSet<string>> expected, Dictionary<string, (byte[] Before, byte[] After)> inFlight, string where)
    {
        Assert.Multiple(() =>
        {
            foreach (var (name, allowed) in expected.ToList())
            {
                string path = Path.Combine(mountPoint, name);
                byte[]? bytes = File.Exists(path) ? File.ReadAllBytes(path) : null;
                string found = bytes != null ? Checksum(bytes) : Absent;
                if (!allowed.Contains(found) && bytes != null && inFlight.TryGetValue(name, out var change))
                {
                    Assert.That(TornInPlace(bytes, change.Before, change.After), Is.True, $"{where}: {name} is neither its bytes before the interrupted overwrite, nor after, nor a block-wise mix at the old size");
                }
                else
                {
                    Assert.That(allowed, Does.Contain(found), $"{where}: {name}");
                }
                if (found == Absent)
                {
                    expected.Remove(name);
                }
                else
                {
                    expected[name] = [found];
                }
            }
        });
        inFlight.Clear();
    }

    /// <summary>The size from before, and each block as it was before or as the overwrite made it.</summary>
    private static bool TornInPlace(byte[] found, byte[] before, byte[] after)
    {
        if (found.Length != before.Length)
        {
            return false;
        }
        for (int at = 0; at < found.Length; at += BlockSize)
        {
            int n = Math.Min(BlockSize, found.Length - at);
            var block = found.AsSpan(at, n);
            if (!block.SequenceEqual(before.AsSpan(at, n)) && !block.SequenceEqual(after.AsSpan(at, n)))
            {
                return false;
            }
        }
        return true;
    }

    private static string Checksum(byte[] data) => Convert.ToHexString(SHA256.HashData(data));

    /// <summary>One round's program: runs until the mount dies under it.</summary>
    private sealed class Workload(string mountPoint, int round, Random random, Dictionary<string, HashSet<string>> expected,
        Dictionary<string, (byte[] Before, byte[] After)> inFlight)
    {
        public int Clones { get; private set; }

        public void Run()
        {
            try
            {
                for (int i = 0; ; i++)
                {
                    string[] recorded = expected.Where(e => e.Value.Count == 1 && !e.Value.Contains(Absent)).Select(e => e.Key).ToArray();
                    int op = recorded.Length < 3 ? 0 : random.Next(6);
                    switch (op)
                    {
                        case 0: WriteNew($"r{round}-{i}"); break;
                        case 1: case 2: Clone(recorded[random.Next(recorded.Length)], $"r{round}-{i}-clone"); break;
                        case 3: Overwrite(PickClone(recorded)); break;
                        case 4: Remove(recorded[random.Next(recorded.Length)]); break;
                        default: WriteUnsynced($"r{round}-{i}-unsynced"); break;
                    }
                }
            }
            catch (IOException)
            {
                // The mount was killed under the call in flight.
            }
        }

        private string Path(string name) => System.IO.Path.Combine(mountPoint, name);

        private string PickClone(string[] recorded)
        {
            var clones = recorded.Where(n => n.EndsWith("-clone", StringComparison.Ordinal)).ToArray();
            return clones.Length > 0 ? clones[random.Next(clones.Length)] : recorded[random.Next(recorded.Length)];
        }

        private byte[] Bytes(int max)
        {
            var data = new byte[random.Next(1, max)];
            random.NextBytes(data);
            return data;
        }

        private void WriteNew(string name)
        {
            var data = Bytes(400_000);
            int fd = Libc.Open(Path(name), Libc.OWrOnly | Libc.OCreat | Libc.OExcl);
            try
            {
                Libc.PWriteFully(fd, data, 0);
                Libc.Fsync(fd);
            }
            finally
            {
                Libc.Close(fd);
            }
            expected[name] = [Checksum(data)];
        }

        private void WriteUnsynced(string name)
        {
            var data = Bytes(200_000);
            int fd = Libc.Open(Path(name), Libc.OWrOnly | Libc.OCreat | Libc.OExcl);
            try
            {
                Libc.PWriteFully(fd, data, 0);
            }
            finally
            {
                Libc.Close(fd);
            }
        }

        private void Clone(string source, string name)
        {
            var cp = ProcessRunner.Run("cp", [Path(source), Path(name)], TimeSpan.FromSeconds(60));
            if (cp.ExitCode != 0)
            {
                throw new IOException(cp.ToString());
            }
            int fd = Libc.Open(Path(name), Libc.ORdOnly);
            try
            {
                Libc.Fsync(fd);
            }
            finally
            {
                Libc.Close(fd);
            }
            expected[name] = [.. expected[source]];
            Clones++;
        }

        private void Overwrite(string name)
        {
            var before = File.ReadAllBytes(Path(name));
            var patch = Bytes(150_000);
            long offset = random.Next(0, before.Length + 1);
            var after = new byte[Math.Max(before.Length, offset + patch.Length)];
            before.CopyTo(after, 0);
            patch.CopyTo(after, offset);
            expected[name] = [Checksum(before), Checksum(after)];
            inFlight[name] = (before, after);
            int fd = Libc.Open(Path(name), Libc.OWrOnly);
            try
            {
                Libc.PWriteFully(fd, patch, offset);
                Libc.Fsync(fd);
            }
            finally
            {
                Libc.Close(fd);
            }
            expected[name] = [Checksum(after)];
            inFlight.Remove(name);
        }

        private void Remove(string name)
        {
            expected[name].Add(Absent);
            int e = Libc.Unlink(Path(name));
            if (e != 0)
            {
                throw new PosixException(e, $"unlink({name})");
            }
        }
    }
}
