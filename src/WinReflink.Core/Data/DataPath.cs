using System.Buffers;
using WinReflink.Core.Cache;
using WinReflink.Core.Errors;
using WinReflink.Core.Extents;
using WinReflink.Core.Namespace;
using WinReflink.Core.Space;
using WinReflink.Core.Transactions;

namespace WinReflink.Core.Data;

/// <summary>
/// The data path: classifies a file's blocks (hole, owned alone, unwritten, shared), reads through the
/// ExtentCache, writes in place or by copy-on-write, and unmaps. It decides the copy-on-write policy
/// from what space (share counts) and the transaction (blocks new or unshared since the last commit)
/// answer, and never commits. Invariants, on entry and on return of every call: a file's extent map
/// maps each logical block at most once, to a block that is not free; a block a commit can still see
/// is never overwritten in place. Callers hold the volume lock and have checked that the file is
/// regular and writable where they write.
/// </summary>
internal sealed partial class DataPath
{
    private readonly ExtentCache _cache;
    private readonly BlockSpace _space;
    private readonly Transaction _transaction;
    private readonly int _blockSize;

    /// <summary>Null when copy recognition is off (the volume's setting, or the mount's).</summary>
    private readonly CopyRecognizer? _recognizer;

    public DataPath(ExtentCache cache, BlockSpace space, Transaction transaction, int blockSize, CopyRecognizer? recognizer = null)
    {
        _cache = cache;
        _space = space;
        _transaction = transaction;
        _blockSize = blockSize;
        _recognizer = recognizer;
    }

    /// <summary>Blocks writes did not write because cached blocks held their bytes; 0 with recognition off.</summary>
    public long RecognizedBlocks => _recognizer?.RecognizedBlocks ?? 0;

    /// <summary>What a run of logical blocks is, for the write path.</summary>
    private enum RunKind
    {
        Hole,
        /// <summary>Owned by this file alone since the last commit: overwritten in place.</summary>
        Private,
        /// <summary>Allocated by fallocate, never written: reads as zeros; converted on write.</summary>
        PrivateUnwritten,
        /// <summary>Mapped by another file too (or in the last commit): copy-on-write.</summary>
        Shared,
    }

    private readonly record struct Run(RunKind Kind, long Physical, long Length, bool Unwritten);

    /// <summary>The run of blocks from <paramref name="logical"/> (at most max) that one action can handle.</summary>
    private Run Classify(Inode file, long logical, long max)
    {
        if (!file.Extents!.TryFind(logical, max, out var ext, out long hole))
        {
            return new Run(RunKind.Hole, 0, hole, false);
        }
        long p = ext.Physical + (logical - ext.Logical);
        long n = Math.Min(max, ext.LogicalEnd - logical);
        var (refs, refRun) = _space.ShareCount(p, n);
        if (refs >= 2)
        {
            return new Run(RunKind.Shared, p, refRun, ext.Unwritten);
        }
        // A block allocated in the running transaction holds no committed data, so nothing a crash
        // returns to can see it: overwrite it in place, whatever it was before (issue 6, defect 5).
        var (history, run) = _transaction.History(p, refRun);
        if (history == BlockHistory.AllocatedSinceCommit)
        {
            return new Run(ext.Unwritten ? RunKind.PrivateUnwritten : RunKind.Private, p, run, ext.Unwritten);
        }
        if (history == BlockHistory.UnsharedSinceCommit)
        {
            return new Run(RunKind.Shared, p, run, ext.Unwritten);
        }
        // Both commits a crash can return to: the durable one, and the one being written.
        foreach (long committedSize in (ReadOnlySpan<long>)[file.CommittedSize, file.CommittingSize])
        {
            if (ext.Unwritten || committedSize < 0 || committedSize % _blockSize == 0)
            {
                continue;
            }
            long eofBlock = committedSize / _blockSize;
            if (logical == eofBlock)
            {
                return new Run(RunKind.Shared, p, 1, Unwritten: false);
            }
            if (logical < eofBlock && logical + run > eofBlock)
            {
                run = eofBlock - logical;
            }
        }
        return new Run(ext.Unwritten ? RunKind.PrivateUnwritten : RunKind.Private, p, run, ext.Unwritten);
    }

    /// <summary>
    /// Reads [offset, offset+buffer.Length) of <paramref name="file"/>; holes and unwritten blocks read
    /// as zeros. On entry the range lies within the file's size. Without <paramref name="load"/> the
    /// blocks the cache lacks are read from the store here, and BlockReadException is thrown when the
    /// host cannot read clean blocks (nothing is lost). With it, nothing is read from the store: on
    /// return either <paramref name="load"/> is empty and the buffer holds the bytes, or the buffer is
    /// undefined and <paramref name="load"/> holds the blocks to load (with readahead past the read
    /// when it is sequential) before the caller, having let go of the volume lock, reads again.
    /// </summary>
    public void Read(Inode file, long offset, Span<byte> buffer, ReadLoad? load = null)
    {
        long pos = offset, end = offset + buffer.Length;
        while (pos < end)
        {
            long logical = pos / _blockSize;
            int inBlock = (int)(pos % _blockSize);
            long maxBlocks = (end - pos + inBlock + _blockSize - 1) / _blockSize;
            long runBytes;
            if (file.Extents!.TryFind(logical, maxBlocks, out var ext, out long hole))
            {
                long blocks = Math.Min(maxBlocks, ext.LogicalEnd - logical);
                runBytes = Math.Min(end - pos, blocks * _blockSize - inBlock);
                var dst = buffer.Slice((int)(pos - offset), (int)runBytes);
                if (ext.Unwritten)
                {
                    dst.Clear();
                }
                else
                {
                    long physical = ext.Physical + (logical - ext.Logical);
                    if (load == null)
                    {
                        _cache.Read(physical * _blockSize + inBlock, dst, file.Ino, logical);
                    }
                    else
                    {
                        _cache.TryRead(physical * _blockSize + inBlock, dst, file.Ino, logical, load);
                    }
                }
            }
            else
            {
                runBytes = Math.Min(end - pos, hole * _blockSize - inBlock);
                buffer.Slice((int)(pos - offset), (int)runBytes).Clear();
            }
            pos += runBytes;
        }
        if (load is { FirstAttempt: true })
        {
            ReserveReadahead(file, offset, buffer.Length, load);
        }
    }

    /// <summary>
    /// How many passes of a read may load missing blocks outside the locks before the read takes them
    /// under the cache's: a pass finds blocks missing again only when a writer or a discard raced with
    /// its load, or a read larger than a load may pin.
    /// </summary>
    public const int UnlockedLoadPasses = 3;

    /// <summary>
    /// <see cref="Read"/> for a caller that holds its inode locks throughout (a clone's or a dedupe's
    /// byte copy): blocks the cache lacks are read from the store without the cache's lock, the inode
    /// locks staying held as Linux holds i_rwsem across a read's I/O, so calls on other files go on
    /// meanwhile. After <see cref="UnlockedLoadPasses"/> passes that found blocks missing again, the
    /// last pass reads them under the cache's lock. Throws BlockReadException as <see cref="Read"/> does.
    /// </summary>
    public void ReadLoading(Inode file, long offset, Span<byte> buffer)
    {
        for (int pass = 0; pass < UnlockedLoadPasses; pass++)
        {
            var load = new ReadLoad(firstAttempt: false);
            try
            {
                Read(file, offset, buffer, load);
            }
            catch
            {
                if (!load.IsEmpty)
                {
                    _cache.Abandon(load);
                }
                throw;
            }
            if (load.IsEmpty)
            {
                return;
            }
            _cache.Load(load);
        }
        Read(file, offset, buffer);
    }

    /// <summary>
    /// Blocks a write of [offset, offset+length) must allocate: holes and copy-on-write. With
    /// <paramref name="sharedBefore"/>, the runs a recognized write shares before this part is written,
    /// the blocks it would write in place that those runs map too count as copy-on-write.
    /// </summary>
    private long BlocksToAllocate(Inode file, long offset, long length, List<RecognizedRun>? sharedBefore = null)
    {
        long first = offset / _blockSize, end = (offset + length + _blockSize - 1) / _blockSize;
        long need = 0;
        for (long b = first; b < end;)
        {
            var run = Classify(file, b, end - b);
            if (run.Kind is RunKind.Hole or RunKind.Shared)
            {
                need += run.Length;
            }
            else if (run.Kind == RunKind.Private && sharedBefore != null)
            {
                need += SharedByRuns(run.Physical, run.Length, sharedBefore);
            }
            b += run.Length;
        }
        return need;
    }

    /// <summary>
    /// Writes bytes into the file's blocks, allocating holes and copying shared blocks on write. On
    /// entry the file is regular and the range ends at most at MaxFileSize; on return (Ok) the file
    /// reads the bytes, and every written block either is in the cache and owned by this file alone, or
    /// (copy recognition, <see cref="CopyRecognizer"/>) is a block whose bytes a cached block held,
    /// which this file now maps as a clone would. The caller moves the size.
    /// The free-space check comes before anything changes. With the volume lock held exclusively
    /// (<paramref name="shared"/> false) it is exact: it may commit to free busy blocks, and answers
    /// NoSpace when the volume cannot hold the write. With it held shared and the file's lock exclusive
    /// (<paramref name="shared"/> true) the blocks are reserved against other such writes
    /// (<see cref="BlockSpace.TryReserveShared"/>) and no commit may run: when they are not plainly free,
    /// nothing changes and <paramref name="exclusiveNeeded"/> says to run the write again exclusively.
    /// The count stays right while the lock is shared: only a clone and a recognized write add a
    /// reference, and each holds the lock of the file whose block it shares, so neither can be sharing a
    /// block this file owns alone (this write holds this file's lock exclusively); another file dropping
    /// a reference can only turn a shared block into a recently unshared one, which is copied on write
    /// just the same.
    /// </summary>
    public FsError Write(Inode file, long offset, ReadOnlySpan<byte> data, bool shared, out bool exclusiveNeeded)
    {
        if (_recognizer == null)
        {
            return WritePlain(file, offset, data, shared, default, out exclusiveNeeded);
        }
        long sizeBefore = file.Size;
        var hashes = new WriteHashes(offset, data.Length, _blockSize);
        FsError e;
        try
        {
            _cache.HashBlocks(hashes.WholeBlocks(offset, data), hashes.Span);
            using var recognized = _recognizer.Find(file, hashes.FirstLogical, hashes.WholeBlocks(offset, data), hashes.Span, shared);
            // Not written that way only when a run's blocks were freed meanwhile: then again exclusively, or plainly.
            if (recognized == null
                || !(TryWriteRecognized(file, offset, data, recognized, hashes, shared, out e, out exclusiveNeeded) || exclusiveNeeded))
            {
                e = WritePlain(file, offset, data, shared, hashes, out exclusiveNeeded);
            }
        }
        finally
        {
            hashes.Dispose();
        }
        if (e == FsError.Ok && !exclusiveNeeded)
        {
            RecognizeCompletedBlocks(file, offset, data.Length, sizeBefore, shared);
        }
        return e;
    }

    /// <summary><see cref="Write"/> without copy recognition; <paramref name="hashes"/>, when given, go with the written blocks to the cache.</summary>
    private FsError WritePlain(Inode file, long offset, ReadOnlySpan<byte> data, bool shared, WriteHashes hashes, out bool exclusiveNeeded)
    {
        var e = ReserveBlocks((data: this, file, offset, length: (long)data.Length), static s => s.data.BlocksToAllocate(s.file, s.offset, s.length),
            shared, out long reserved, out exclusiveNeeded);
        if (e != FsError.Ok || exclusiveNeeded)
        {
            return e;
        }
        try
        {
            WriteReserved(file, offset, data, hashes);
        }
        finally
        {
            _space.ReleaseShared(reserved);
        }
        return FsError.Ok;
    }

    /// <summary>
    /// The free-space check of a change that allocates the blocks <paramref name="count"/> counts.
    /// Exclusive (<paramref name="shared"/> false): <see cref="BlockSpace.Reserve{TState}"/>, exact.
    /// Shared: the blocks are reserved against other shared-mode changes until the caller ends the
    /// reservation with <see cref="BlockSpace.ReleaseShared"/> (<paramref name="reserved"/>, 0 when
    /// none), or <paramref name="exclusiveNeeded"/> says they are not plainly free.
    /// </summary>
    private FsError ReserveBlocks<TState>(TState state, Func<TState, long> count, bool shared, out long reserved, out bool exclusiveNeeded)
    {
        reserved = 0;
        exclusiveNeeded = false;
        if (!shared)
        {
            return _space.Reserve(state, count);
        }
        long need = count(state);
        if (need > 0 && !_space.TryReserveShared(need))
        {
            exclusiveNeeded = true;
            return FsError.Ok;
        }
        reserved = need;
        return FsError.Ok;
    }

    /// <summary>The write itself, once its blocks are reserved: on entry the allocator has them.</summary>
    private void WriteReserved(Inode file, long offset, ReadOnlySpan<byte> data, WriteHashes hashes = default)
    {
        long pos = offset, end = offset + data.Length;
        while (pos < end)
        {
            long logical = pos / _blockSize;
            long endBlock = (end + _blockSize - 1) / _blockSize;
            var run = Classify(file, logical, endBlock - logical);
            long runEndByte = Math.Min(end, (logical + run.Length) * _blockSize);
            var chunk = data.Slice((int)(pos - offset), (int)(runEndByte - pos));
            int inBlock = (int)(pos % _blockSize);
            switch (run.Kind)
            {
                case RunKind.Private:
                    _cache.Write(run.Physical * _blockSize + inBlock, chunk, file.Ino, logical, fresh: false, hashes.From(pos));
                    break;
                case RunKind.PrivateUnwritten:
                    file.Extents!.Remove(logical, run.Length);
                    file.Extents.Insert(new Extent(logical, run.Physical, run.Length, Unwritten: false));
                    _cache.Write(run.Physical * _blockSize + inBlock, chunk, file.Ino, logical, fresh: true, hashes.From(pos));
                    break;
                case RunKind.Hole:
                    WriteNewBlocks(file, logical, run.Length, inBlock, chunk, null, hashes);
                    break;
                case RunKind.Shared:
                    WriteNewBlocks(file, logical, run.Length, inBlock, chunk, run, hashes);
                    break;
            }
            pos = runEndByte;
        }
    }

    /// <summary>
    /// Allocates blocks for a hole, or for copy-on-write of a shared run, and writes into them. Only the
    /// partial first and last blocks of a copy-on-write need the old bytes, so a 4 KiB overwrite of a
    /// shared file writes 4 KiB.
    /// </summary>
    private void WriteNewBlocks(Inode file, long logical, long blocks, int inBlock, ReadOnlySpan<byte> chunk, Run? shared, WriteHashes hashes)
    {
        long done = 0;
        int chunkDone = 0;
        while (done < blocks)
        {
            long goal = _space.Goal(file, logical + done);
            var got = _space.Allocate(file, goal, blocks - done);
            long l = logical + done;
            int first = done == 0 ? inBlock : 0;
            int bytes = (int)Math.Min(chunk.Length - chunkDone, got.Length * _blockSize - first);
            // After copying the old partial blocks the new blocks are no longer fresh: if the cache
            // evicts them before the write below, it must read the copy back, not zero-fill it.
            bool copied = shared is { Unwritten: false };
            if (shared is { Unwritten: false } s)
            {
                long oldPhysical = s.Physical + done;
                if (first != 0)
                {
                    CopyBlock(file, oldPhysical, got.Start, l);
                }
                long lastBlockOffset = (first + bytes - 1) / _blockSize;
                if ((first + bytes) % _blockSize != 0 && (lastBlockOffset != 0 || first == 0))
                {
                    CopyBlock(file, oldPhysical + lastBlockOffset, got.Start + lastBlockOffset, l + lastBlockOffset);
                }
            }
            _cache.Write(got.Start * _blockSize + first, chunk.Slice(chunkDone, bytes), file.Ino, l, fresh: !copied, hashes.From(l * _blockSize + first));
            if (shared is { } old)
            {
                Unmap(file, l, got.Length);
            }
            file.Extents!.Insert(new Extent(l, got.Start, got.Length, Unwritten: false));
            chunkDone += bytes;
            done += got.Length;
        }
    }

    private void CopyBlock(Inode file, long fromPhysical, long toPhysical, long logical)
    {
        byte[] block = ArrayPool<byte>.Shared.Rent(_blockSize);
        try
        {
            var span = block.AsSpan(0, _blockSize);
            _cache.Read(fromPhysical * _blockSize, span, file.Ino, logical);
            _cache.Write(toPhysical * _blockSize, span, file.Ino, logical, fresh: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    /// <summary>Unmaps logical blocks; blocks that lose their last owner go busy until the next commit.</summary>
    public void Unmap(Inode file, long logical, long count)
    {
        var removed = file.Extents!.Remove(logical, count);
        if (removed.Count == 0)
        {
            return;
        }
        var freed = new List<BlockRange>();
        foreach (var piece in removed)
        {
            if (_space.Unreference(file, piece, freed))
            {
                _cache.RemoveOwner(file.Ino, piece.Logical, piece.Physical, piece.Length);
            }
        }
        foreach (var r in freed)
        {
            _cache.Discard(r.Start, r.Length);
        }
        _transaction.Changed(file);
    }

}
