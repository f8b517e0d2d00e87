using WinReflink.WinFsp.Interop;
using static WinReflink.WinFsp.Tests.Harness.AdapterHarness;

namespace WinReflink.WinFsp.Tests.Adapter;

/// <summary>ReadDirectory with markers, dot entries and the end marker; GetDirInfoByName (winfsp.md 3.5).</summary>
public sealed class DirectoryTests : AdapterFixture
{
    [Test]
    public void ASmallBufferPagesThroughEveryEntryOnceInStableOrder()
    {
        // FindFirstFile/FindNextFile over a large directory: every name exactly once, "." and ".." first.
        H.MakeDirectory(@"\big");
        var expected = Enumerable.Range(0, 300).Select(i => $"File{i:D4}.txt").ToList();
        foreach (string name in expected)
        {
            H.WriteFile(@"\big\" + name, [1]);
        }
        H.Open(@"\big", DirectoryFile, ReadAccess, out nint h, out _, out _);
        var names = H.ListAll(h, 1024, out int pages);
        Assert.Multiple(() =>
        {
            Assert.That(names.Take(2), Is.EqualTo(new[] { ".", ".." }));
            Assert.That(names.Skip(2), Is.EqualTo(expected));
            Assert.That(pages, Is.GreaterThan(30), "a 1 KiB buffer holds a few entries");
        });
        H.CloseHandle(h);
    }

    [Test]
    public void AMarkerNamingARemovedEntryResumesAfterIt()
    {
        // Marker is the last name returned; entries strictly greater follow even if it was deleted meanwhile.
        foreach (string name in new[] { "a", "b", "c", "d" })
        {
            H.WriteFile(@"\" + name, [1]);
        }
        H.Open(@"\", DirectoryFile, ReadAccess, out nint h, out _, out _);
        Assert.That(H.ReadDirectory(h, null, 4096, out var first), Is.EqualTo(NtStatus.Success));
        H.Open(@"\b", 0, ReadAccess | AccessMask.Delete, out nint b, out _, out _);
        H.CloseHandle(b, @"\b");
        Assert.That(H.ReadDirectory(h, "b", 4096, out var rest), Is.EqualTo(NtStatus.Success));
        Assert.That(rest.Entries.Select(e => e.Name), Is.EqualTo(new[] { "c", "d" }));
        Assert.That(rest.Ended, Is.True);
        Assert.That(first.Entries.Select(e => e.Name), Is.EqualTo(new[] { "a", "b", "c", "d" }), "the root has no dot entries");
        H.CloseHandle(h);
    }

    [Test]
    public void TheEndMarkerComesOnlyWhenTheListingIsExhausted()
    {
        H.MakeDirectory(@"\d");
        H.WriteFile(@"\d\x", [1]);
        H.Open(@"\d", DirectoryFile, ReadAccess, out nint h, out _, out _);
        // 112 bytes hold one record of "." (104 + 2 → 112) and nothing more.
        Assert.That(H.ReadDirectory(h, null, 112, out var page), Is.EqualTo(NtStatus.Success));
        Assert.That((page.Entries.Count, page.Ended), Is.EqualTo((1, false)));
        Assert.That(H.ReadDirectory(h, "x", 4096, out page), Is.EqualTo(NtStatus.Success));
        Assert.That((page.Entries.Count, page.Ended), Is.EqualTo((0, true)));
        H.CloseHandle(h);
    }

    [Test]
    public void EntriesCarryTheirFileInfo()
    {
        H.MakeDirectory(@"\d");
        H.WriteFile(@"\d\data.bin", Pattern(5000));
        H.MakeDirectory(@"\d\Sub");
        H.Open(@"\d", DirectoryFile, ReadAccess, out nint h, out _, out _);
        H.ReadDirectory(h, null, 4096, out var page);
        var byName = page.Entries.ToDictionary(e => e.Name);
        Assert.Multiple(() =>
        {
            Assert.That(byName["data.bin"].Info.FileSize, Is.EqualTo(5000));
            Assert.That(byName["Sub"].Info.FileAttributes & FileAttributeBits.Directory, Is.Not.Zero);
            Assert.That(byName["."].Info.FileAttributes & FileAttributeBits.Directory, Is.Not.Zero);
            Assert.That(byName[".."].Info.IndexNumber, Is.EqualTo(1), "the parent of \\d is the root");
        });
        H.CloseHandle(h);
    }

    [Test]
    public void GetDirInfoByNameFindsAnyCaseAndReturnsTheStoredOne()
    {
        // FindFirstFile("X:\\dir\\README.MD") on NTFS reports the stored name ReadMe.md.
        H.MakeDirectory(@"\d");
        H.WriteFile(@"\d\ReadMe.md", [1, 2]);
        H.Open(@"\d", DirectoryFile, ReadAccess, out nint h, out _, out _);
        Assert.That(H.GetDirInfoByName(h, "README.MD", out var entry), Is.EqualTo(NtStatus.Success));
        Assert.That((entry.Name, entry.Info.FileSize), Is.EqualTo(("ReadMe.md", 2UL)));
        Assert.That(H.GetDirInfoByName(h, "absent", out _), Is.EqualTo(NtStatus.ObjectNameNotFound));
        H.CloseHandle(h);
    }

    [Test]
    public void ListingAFileIsRefused()
    {
        H.WriteFile(@"\f", [1]);
        H.Open(@"\f", 0, ReadAccess, out nint h, out _, out _);
        Assert.That(H.ReadDirectory(h, null, 4096, out _), Is.EqualTo(NtStatus.NotADirectory));
        H.CloseHandle(h);
    }
}
