using System.Diagnostics;
using System.Globalization;
using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Concurrency;

/// <summary>
/// An inode's last name, last handle and last host reference go from different threads holding
/// different locks (an unlink holds its directory's and the inode's, a close and a forget the volume's
/// shared), so the decision to destroy it races with opens, references and links. Workers create,
/// look up and open, reference, unlink, rename over, link and close the same few names at random,
/// and O_TMPFILE files that a link may name. What must hold: a handle a worker holds keeps its inode
/// readable and writable whatever happens to its names; when every handle and reference is gone, the
/// inodes left are exactly those the two directories name (none leaked as an orphan, none destroyed
/// while named), Check() is clean, and a reopen finds the same.
/// </summary>
public class InodeLifetimeRaceTests : VolumeFixture
{
    private const int Workers = 6;
    private const int MaxHeld = 8;
    private static readonly string[] Names = ["n0", "n1", "n2", "n3", "n4", "n5"];

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    [Test]
    public void LastNamesHandlesAndReferencesRacingLeaveNoOrphanAndLoseNoOpenFile()
    {
        FileSystem.Format(Folder, new FormatOptions { SizeBytes = 64L << 20 });
        var fs = FileSystem.Open(Folder, new OpenOptions { CommitInterval = TimeSpan.FromMilliseconds(5), CacheSizeBytes = 2L << 20 });
        bool hung = false;
        try
        {
            long[] dirs = [NewNode.Directory(fs, FileSystem.RootIno, "d0"), NewNode.Directory(fs, FileSystem.RootIno, "d1")];
            var duration = StressRun.Duration(3);
            var threads = new WorkerThreads(Workers);
            var clock = Stopwatch.StartNew();
            long destroyedWhileOpen = 0;
            string? firstFailure = null;
            var outcome = threads.Run(worker =>
            {
                var rng = new Random(worker + 11);
                var opens = new List<long>();
                var references = new List<long>();
                while (!threads.Stopping && clock.Elapsed < duration)
                {
                    long dir = dirs[rng.Next(dirs.Length)];
                    string name = Names[rng.Next(Names.Length)];
                    int op = rng.Next(10);
                    // A bounded set of holds, so a long run does not fill the volume with files kept open.
                    if (opens.Count >= MaxHeld && op is 1 or 6)
                    {
                        op = 8;
                    }
                    else if (references.Count >= MaxHeld && op == 2)
                    {
                        op = 9;
                    }
                    threads.Doing(worker, Inv($"op {op} on {dir}/{name}"));
                    switch (op)
                    {
                        case 0:
                            EngineAnswer.OneOf(fs.Create(dir, name, NewNode.FileRequest, out _), "create", FsError.Ok, FsError.Exists);
                            break;
                        case 1:
                        case 2:
                            if (fs.Lookup(dir, name, out var found) == FsError.Ok)
                            {
                                // The name may have gone, and its inode with it, since the lookup.
                                if (op == 1 && EngineAnswer.OneOf(fs.OpenInode(found.Ino, OpenIntent.Write), "open", FsError.Ok, FsError.NotFound) == FsError.Ok)
                                {
                                    opens.Add(found.Ino);
                                }
                                else if (op == 2 && EngineAnswer.OneOf(fs.Reference(found.Ino, out _), "reference", FsError.Ok, FsError.NotFound) == FsError.Ok)
                                {
                                    references.Add(found.Ino);
                                }
                            }
                            break;
                        case 3:
                            EngineAnswer.OneOf(fs.Unlink(dir, name), "unlink", FsError.Ok, FsError.NotFound);
                            break;
                        case 4:
                            EngineAnswer.OneOf(fs.Rename(dir, name, dirs[rng.Next(dirs.Length)], Names[rng.Next(Names.Length)], RenameFlags.None), "rename", FsError.Ok, FsError.NotFound);
                            break;
                        case 5:
                            if (opens.Count > 0)
                            {
                                // Ok, or the name is taken, or the inode lost its last name (only an O_TMPFILE one may get one back).
                                EngineAnswer.OneOf(fs.Link(opens[rng.Next(opens.Count)], dir, name, out _), "link", FsError.Ok, FsError.Exists, FsError.NotFound);
                            }
                            break;
                        case 6:
                            if (fs.CreateTemporary(dir, NewNode.FileRequest, out var temporary) == FsError.Ok)
                            {
                                opens.Add(temporary.Ino);
                            }
                            break;
                        case 7:
                            if (opens.Count > 0)
                            {
                                long ino = opens[rng.Next(opens.Count)];
                                var bytes = new byte[] { (byte)worker, (byte)op, 7 };
                                long offset = rng.Next(4) * 4096L;
                                var written = fs.Write(ino, offset, bytes, out _);
                                var read = fs.Read(ino, offset, new byte[3], out int bytesRead);
                                if (written != FsError.Ok || read != FsError.Ok || bytesRead != 3)
                                {
                                    Interlocked.Increment(ref destroyedWhileOpen);
                                    Interlocked.CompareExchange(ref firstFailure, Inv($"inode {ino}: write {written}, read {read} of {bytesRead} bytes"), null);
                                }
                            }
                            break;
                        case 8:
                            if (opens.Count > 0)
                            {
                                int i = rng.Next(opens.Count);
                                EngineAnswer.Ok(fs.Release(opens[i]), Inv($"release of held inode {opens[i]}"));
                                opens.RemoveAt(i);
                            }
                            break;
                        default:
                            if (references.Count > 0)
                            {
                                int i = rng.Next(references.Count);
                                fs.Unreference(references[i], 1);
                                references.RemoveAt(i);
                            }
                            break;
                    }
                }
                foreach (long ino in opens)
                {
                    EngineAnswer.Ok(fs.Release(ino), Inv($"release of held inode {ino} at the end"));
                }
                foreach (long ino in references)
                {
                    fs.Unreference(ino, 1);
                }
            }, StressRun.Watchdog(duration));
            hung = outcome.Hung.Count > 0;
            Assert.That(outcome.Succeeded, Is.True, outcome.Describe());
            Assert.That(destroyedWhileOpen, Is.Zero, $"a write or read through a held handle failed (first: {firstFailure})");
            long named = NamedFiles(fs, dirs);
            Assert.That(fs.Info().Files, Is.EqualTo(named), "inodes left are exactly the named ones: no orphan leaked, none destroyed while named");
            Assert.That(fs.Check(), Is.Empty, "Check() after the run");
            fs.Dispose();
            using var reopened = FileSystem.Open(Folder, new OpenOptions { CommitInterval = TimeSpan.Zero });
            Assert.That(reopened.Info().Files, Is.EqualTo(named), "a reopen finds the same files, with no orphan to reclaim");
            Assert.That(reopened.Check(), Is.Empty, "Check() after reopening");
        }
        finally
        {
            if (!hung)
            {
                fs.Dispose();
            }
        }
    }

    private static long NamedFiles(FileSystem fs, long[] dirs)
    {
        var inos = new HashSet<long>();
        foreach (long dir in dirs)
        {
            Assert.That(fs.ReadDirectory(dir, 0, entry =>
            {
                if (entry.Name is not ("." or ".."))
                {
                    inos.Add(entry.Ino);
                }
                return true;
            }), Is.EqualTo(FsError.Ok));
        }
        return inos.Count;
    }
}
