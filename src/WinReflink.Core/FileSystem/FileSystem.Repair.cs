using WinReflink.Core.Check;
using WinReflink.Core.Metadata;

namespace WinReflink.Core;

/// <summary>What `check --repair` did: the repairs, and what it could not repair (then it wrote nothing).</summary>
public sealed record RepairReport(IReadOnlyList<Repair> Repairs, IReadOnlyList<Violation> Unrepaired, string? Refused, bool Written);

public sealed partial class FileSystem
{
    /// <summary>
    /// Repairs what can be repaired without guessing (<see cref="VolumeRepairer"/>) and commits it in one
    /// transaction, or with <paramref name="dryRun"/> only says what it would do. All or nothing: when
    /// anything would remain broken, nothing is written and the report says why. Afterwards this
    /// instance is read-only; reopen the volume to use it.
    /// </summary>
    public RepairReport Repair(bool dryRun)
    {
        if (_state.Loader != null)
        {
            throw new InvalidOperationException("a repair needs every inode loaded: open the volume with OpenOptions.Repairing");
        }
        using (_locks.Exclusive())
        {
            // From here on only this method writes: a refused or dry-run repair leaves changes in memory that must never be committed.
            _access.BeginRepair();
            var found = new VolumeChecker(_state, _blockSize, ReadForCheck).Run().ToList();
            // The loaded state holds the tables' rows, not the indexes SQLite keeps beside them.
            string? integrity = _volume.Meta.IntegrityProblem();
            if (integrity != null)
            {
                found.Insert(0, SqliteIntegrity.Violation(integrity));
            }
            // Descriptors no inode uses are no violation (they stay while inodes load on demand) but a repair collects them.
            if (found.Count == 0 && !_state.Security.Uses().Any(u => u.Users == 0))
            {
                return new RepairReport([], [], null, false);
            }
            if (!dryRun && _access.OpenedReadOnly)
            {
                return new RepairReport([], found, "the volume was opened read-only", false);
            }
            // Blocks the repair rewrites stay here until it commits, so a dry or refused repair writes
            // nothing to the data file (an eviction could write back a block put in the cache).
            var rewritten = new Dictionary<long, byte[]>();
            void ReadRepaired(long block, Span<byte> into)
            {
                if (rewritten.TryGetValue(block, out var data))
                {
                    data.CopyTo(into);
                }
                else
                {
                    ReadForCheck(block, into);
                }
            }
            string? refusal = VolumeRepairer.Refusal(_state, found);
            if (refusal != null)
            {
                return new RepairReport([], found, refusal, false);
            }
            var repairs = new VolumeRepairer(_state, _transaction.Changes, _blockSize, Now(), ReadForCheck, (block, data) => rewritten[block] = data.ToArray()).Run().ToList();
            // Rows that failed their checksum but agree with everything else (checked below) keep their values and get a new checksum.
            var resealed = _state.ChecksumFailures.ToList();
            repairs.AddRange(resealed.Select(row => new Repair($"recomputed the checksum of the {row}, which is consistent with the rest of the volume", null, null)));
            _state.ChecksumFailures.Clear();
            var remaining = new VolumeChecker(_state, _blockSize, ReadRepaired).Run();
            if (remaining.Count > 0)
            {
                var unrepaired = integrity != null ? [SqliteIntegrity.Violation(integrity), .. remaining] : remaining;
                return new RepairReport(repairs, unrepaired, "these problems cannot be repaired without guessing", false);
            }
            if (integrity != null)
            {
                // Before the repair's commit, whose writes would go through the damaged indexes. A rebuild
                // changes no row, so it is kept even if that commit then fails.
                string? left = _volume.Meta.RebuildIndexes(keep: !dryRun);
                if (left != null)
                {
                    return new RepairReport(repairs, [SqliteIntegrity.Violation(left)], "meta.db is damaged beyond its indexes, which are all of its structure a repair can rebuild", false);
                }
                repairs.Add(new Repair($"rebuilt meta.db's indexes from their tables (SQLite's integrity check reported: {integrity})", null, null));
            }
            if (dryRun)
            {
                return new RepairReport(repairs, [], null, false);
            }
            foreach (var (block, data) in rewritten)
            {
                _cache.Write(block * _blockSize, data, 0, 0, fresh: false);
            }
            _transaction.CommitUnguarded();
            if (resealed.Count > 0)
            {
                _volume.Meta.ResealAll();
            }
            return new RepairReport(repairs, [], null, true);
        }
    }
}
