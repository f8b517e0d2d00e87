namespace WinReflink.Core.Tests.Model;

/// <summary>Replays of engine bugs the model exerciser found, kept in the form the exerciser prints them.</summary>
public class ModelRegressionTests : VolumeFixture
{
    /// <summary>
    /// A partial-block overwrite of a cloned file copied the old head block into the new one, but when
    /// the small cache evicted that window before the write landed, the write zero-filled it again
    /// (it treated the block as freshly allocated): the bytes before the write offset read as zeros.
    /// </summary>
    [Test]
    public void CopyOnWriteKeepsHeadBytesWhenTheCacheEvictsInBetween()
    {
        using var h = new ModelHarness(Folder, new HarnessOptions { CacheSizeBytes = 256 << 10, DirtyLimitBytes = 64 << 10 });
        h.Create(1);
        h.Write(1, 0, 262144, 11);
        h.Create(2);
        h.CloneFile(1, 2);
        h.Write(2, 506, 200000, 12);
    }

    /// <summary>
    /// RENAME_EXCHANGE of one entry with itself, under one spelling or two on a case-insensitive volume,
    /// removed the entry's key twice and threw "An item with the same key has already been added"
    /// (issue 6, defect 4). It must succeed and change nothing. Found by namespace seeds 1 and 2.
    /// </summary>
    [Test]
    public void ExchangingAnEntryWithItselfIsANoOp()
    {
        using var h = new ModelHarness(Folder, new HarnessOptions { BlockSize = 65536 });
        h.Symlink(3, 0, "aB", "ä");
        h.Rename(0, "aB", 0, "Ab", RenameFlags.Exchange);
        h.Create(4, 0, "f11");
        h.Rename(0, "f11", 0, "f11", RenameFlags.Exchange);
        h.Reopen();
    }
}
