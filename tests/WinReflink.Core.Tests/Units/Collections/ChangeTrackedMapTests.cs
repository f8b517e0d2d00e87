using WinReflink.Core.Collections;

namespace WinReflink.Core.Tests.Units.Collections;

public class ChangeTrackedMapTests
{
    private static Dictionary<long, (bool Present, string? Value)> Drain(ChangeTrackedMap<string> map)
    {
        var changes = new Dictionary<long, (bool, string?)>();
        map.DrainChanges((key, present, value) =>
        {
            Assert.That(changes.ContainsKey(key), Is.False, $"key {key} reported twice");
            changes[key] = (present, present ? value : null);
        });
        return changes;
    }

    [Test]
    public void LoadedEntriesAreNotChanges()
    {
        var map = new ChangeTrackedMap<string>();
        map.Load(1, "a");
        map.Load(2, "b");
        Assert.That(map.HasChanges, Is.False);
        Assert.That(map.Count, Is.EqualTo(2));
        Assert.That(Drain(map), Is.Empty);
    }

    [Test]
    public void DrainReportsExactlyTheTouchedKeysWithPresence()
    {
        var map = new ChangeTrackedMap<string>();
        for (long k = 0; k < 10; k++)
        {
            map.Load(k, $"v{k}");
        }
        map.Set(3, "new3");
        map.Set(20, "new20");
        Assert.That(map.Remove(5), Is.True);
        Assert.That(map.Remove(99), Is.False, "removing an absent key is no change");
        map.Set(30, "gone");
        Assert.That(map.Remove(30), Is.True);
        map.Remove(7);
        map.Set(7, "back");

        Assert.That(map.HasChanges, Is.True);
        var changes = Drain(map);
        Assert.That(changes, Is.EquivalentTo(new Dictionary<long, (bool, string?)>
        {
            [3] = (true, "new3"),
            [20] = (true, "new20"),
            [5] = (false, null),
            [30] = (false, null),
            [7] = (true, "back"),
        }));
        Assert.That(map.HasChanges, Is.False);
        Assert.That(Drain(map), Is.Empty, "a drain forgets what it reported");
        Assert.That(map.Map.All().Select(kv => kv.Key), Is.EqualTo(new long[] { 0, 1, 2, 3, 4, 6, 7, 8, 9, 20 }));
    }

    [Test]
    public void RandomChangesMatchAReplayedCommittedCopy()
    {
        // The committed copy is what a store applying every drain would hold; it must always equal the map.
        var rng = new Random(11);
        var map = new ChangeTrackedMap<string>();
        var committed = new Dictionary<long, string>();
        for (int round = 0; round < 50; round++)
        {
            var touched = new HashSet<long>();
            for (int i = 0; i < 200; i++)
            {
                long key = rng.Next(500);
                if (rng.Next(3) == 0)
                {
                    if (map.Remove(key))
                    {
                        touched.Add(key);
                    }
                }
                else
                {
                    map.Set(key, $"{round}:{i}");
                    touched.Add(key);
                }
            }
            var changes = Drain(map);
            SequenceAssert.AreEqual(changes.Keys.Order(), touched.Order(), $"changed keys of round {round}");
            foreach (var (key, (present, value)) in changes)
            {
                if (present)
                {
                    committed[key] = value!;
                }
                else
                {
                    committed.Remove(key);
                }
            }
            SequenceAssert.AreEqual(map.Map.All(), committed.OrderBy(kv => kv.Key), $"committed copy after round {round}");
        }
    }

    [Test]
    public void TouchAllMarksEveryEntryAndForgetChangesDropsThem()
    {
        var map = new ChangeTrackedMap<string>();
        map.Load(1, "a");
        map.Load(2, "b");
        map.TouchAll();
        Assert.That(Drain(map).Keys, Is.EquivalentTo(new long[] { 1, 2 }));

        map.Set(3, "c");
        map.ForgetChanges();
        Assert.That(map.HasChanges, Is.False);
        Assert.That(Drain(map), Is.Empty);
        Assert.That(map.Count, Is.EqualTo(3));
    }
}
