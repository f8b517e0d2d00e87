using WinReflink.Core.Namespace;

namespace WinReflink.Core.Tests.Units.Namespace;

public class SecurityDescriptorTableTests
{
    private static readonly byte[] Owner = [1, 0, 4, 0x80, 20, 0, 0, 0];
    private static readonly byte[] Other = [1, 0, 4, 0x80, 20, 0, 0, 1];

    private static Dictionary<long, byte[]?> Drain(SecurityDescriptorTable table)
    {
        var changes = new Dictionary<long, byte[]?>();
        table.DrainChanges((id, d) => changes[id] = d);
        return changes;
    }

    [Test]
    public void EqualDescriptorsAreStoredOnce()
    {
        var table = new SecurityDescriptorTable(countsUsers: true);
        long a = table.Acquire(Owner);
        long b = table.Acquire((byte[])Owner.Clone());
        long c = table.Acquire(Other);
        Assert.That(b, Is.EqualTo(a), "same bytes, other array: same id");
        Assert.That(c, Is.Not.EqualTo(a));
        Assert.That(a, Is.Not.Zero, "id 0 means no descriptor");
        Assert.That(table.Count, Is.EqualTo(2));
        Assert.That(table.Uses(), Is.EquivalentTo(new[] { (a, 2), (c, 1) }));
        Assert.That(table.Get(a), Is.EqualTo(Owner));
    }

    [Test]
    public void TheTableKeepsItsOwnCopy()
    {
        var table = new SecurityDescriptorTable(countsUsers: true);
        var descriptor = (byte[])Owner.Clone();
        long id = table.Acquire(descriptor);
        descriptor[7] = 99;
        Assert.That(table.Get(id), Is.EqualTo(Owner));
    }

    [Test]
    public void TheLastReleaseRemovesTheDescriptor()
    {
        var table = new SecurityDescriptorTable(countsUsers: true);
        long id = table.Acquire(Owner);
        table.Acquire(Owner);
        Drain(table);

        table.Release(id);
        Assert.That(table.Exists(id), Is.True, "one user left");
        Assert.That(Drain(table), Is.Empty, "a use count change alone writes nothing");

        table.Release(id);
        Assert.That(table.Exists(id), Is.False);
        Assert.That(table.Get(id), Is.Null);
        Assert.That(table.Count, Is.Zero);
        Assert.That(Drain(table), Is.EquivalentTo(new Dictionary<long, byte[]?> { [id] = null }));

        long again = table.Acquire(Owner);
        Assert.That(table.Get(again), Is.EqualTo(Owner), "content dedupe forgot the removed descriptor");
        Assert.That(Drain(table), Is.EquivalentTo(new Dictionary<long, byte[]?> { [again] = Owner }));
    }

    [Test]
    public void ReleasingNothingOrAnUnknownIdChangesNothing()
    {
        var table = new SecurityDescriptorTable(countsUsers: true);
        long id = table.Acquire(Owner);
        Drain(table);
        table.Release(0);
        table.Release(id + 100);
        Assert.That(table.Exists(id), Is.True);
        Assert.That(Drain(table), Is.Empty);
        Assert.That(table.Get(0), Is.Null);
    }

    [Test]
    public void NewDescriptorsAreReportedOnceWithTheirBytes()
    {
        var table = new SecurityDescriptorTable(countsUsers: true);
        long a = table.Acquire(Owner);
        table.Acquire(Owner);
        long b = table.Acquire(Other);
        Assert.That(Drain(table), Is.EquivalentTo(new Dictionary<long, byte[]?> { [a] = Owner, [b] = Other }));
        Assert.That(Drain(table), Is.Empty);
    }

    [Test]
    public void LoadedDescriptorsDedupeAndKeepIdsUnique()
    {
        var table = new SecurityDescriptorTable(countsUsers: true);
        table.Load(7, (byte[])Owner.Clone());
        table.LoadUse(7);
        Assert.That(table.Acquire(Owner), Is.EqualTo(7));
        Assert.That(table.Uses(), Is.EquivalentTo(new[] { (7L, 2) }));
        long other = table.Acquire(Other);
        Assert.That(other, Is.GreaterThan(7), "new ids never collide with loaded ones");
        Assert.That(Drain(table).Keys, Is.EquivalentTo(new[] { other }), "loading is not a change");
        table.Release(7);
        table.Release(7);
        Assert.That(table.Exists(7), Is.False);
    }
}
