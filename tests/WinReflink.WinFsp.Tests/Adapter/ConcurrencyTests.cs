using WinReflink.WinFsp.Interop;
using WinReflink.WinFsp.Tests.Harness;
using static WinReflink.WinFsp.Tests.Harness.AdapterHarness;
using FileInfo = WinReflink.WinFsp.Interop.FileInfo;

namespace WinReflink.WinFsp.Tests.Adapter;

/// <summary>Dispatcher threads call concurrently and the FINE guard takes no lock for Write (winfsp.md 3.9).</summary>
public sealed class ConcurrencyTests : AdapterFixture
{
    [Test]
    public void ConcurrentAppendsThroughSeveralHandlesLoseNothing()
    {
        // NTFS: FILE_APPEND_DATA writes from several handles each land whole at the end, none overwritten.
        const int Threads = 4, Appends = 500, Record = 10;
        H.WriteFile(@"\log", []);
        var handles = Enumerable.Range(0, Threads).Select(_ =>
        {
            Assert.That(H.Open(@"\log", 0, WriteAccess, out nint h, out FileInfo _, out string? _), Is.EqualTo(NtStatus.Success));
            return h;
        }).ToArray();
        Parallel.For(0, Threads, t =>
        {
            var record = Enumerable.Repeat((byte)('A' + t), Record).ToArray();
            for (int i = 0; i < Appends; i++)
            {
                if (H.Write(handles[t], record, 0, out uint n, out _, writeToEndOfFile: true) != NtStatus.Success || n != Record)
                {
                    throw new InvalidOperationException($"append {i} of thread {t} failed");
                }
            }
        });
        foreach (nint h in handles)
        {
            H.CloseHandle(h);
        }
        var data = H.ReadAll(@"\log");
        Assert.That(data, Has.Length.EqualTo(Threads * Appends * Record));
        var records = data.Chunk(Record).ToList();
        Assert.That(records.All(r => r.All(b => b == r[0])), Is.True, "every record is whole");
        Assert.That(records.GroupBy(r => r[0]).Select(g => g.Count()), Is.All.EqualTo(Appends));
    }

    [Test]
    public void ConcurrentCreatesAndListingsAgree()
    {
        H.MakeDirectory(@"\d");
        Parallel.For(0, 4, t =>
        {
            for (int i = 0; i < 50; i++)
            {
                if (H.CreateFile($@"\d\t{t}-{i}", Disposition.Create, 0, WriteAccess, out nint h) != NtStatus.Success)
                {
                    throw new InvalidOperationException($"create t{t}-{i}");
                }
                H.CloseHandle(h);
            }
        });
        H.Open(@"\d", DirectoryFile, ReadAccess, out nint dir, out _, out _);
        var names = H.ListAll(dir, 2048, out _);
        H.CloseHandle(dir);
        Assert.That(names.Skip(2).ToList(), Has.Count.EqualTo(200).And.Unique);
        Assert.That(H.Adapter.OpenHandleCount, Is.Zero);
    }
}
