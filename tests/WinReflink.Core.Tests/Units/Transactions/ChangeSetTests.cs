using WinReflink.Core.Namespace;
using WinReflink.Core.Transactions;

namespace WinReflink.Core.Tests.Units.Transactions;

public class ChangeSetTests
{
    [Test]
    public void ADeletedInodeIsNoLongerWrittenButDeleted()
    {
        var changes = new ChangeSet();
        var inode = new Inode(5, 0x81A4);
        changes.ChangedInodes.Add(inode);
        changes.Deleted(inode);
        Assert.That(changes.ChangedInodes, Is.Empty);
        Assert.That(changes.DeletedInodes, Has.Count.EqualTo(1).And.Contains(5L));
        Assert.That(changes.IsEmpty, Is.False);
    }

    [Test]
    public void ClearForgetsEveryKindOfChange()
    {
        var changes = new ChangeSet { OrphansChanged = true, SettingsChanged = true };
        changes.ChangedInodes.Add(new Inode(6, 0x81A4));
        changes.DeletedInodes.Add(7);
        Assert.That(changes.IsEmpty, Is.False);
        changes.Clear();
        Assert.That(changes.IsEmpty, Is.True);
        Assert.That(changes.OrphansChanged || changes.SettingsChanged, Is.False);
    }
}
