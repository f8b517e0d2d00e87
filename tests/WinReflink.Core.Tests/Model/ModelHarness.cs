using System.Globalization;
using WinReflink.Core.Errors;
using WinReflink.Core.Tests.Crash;

namespace WinReflink.Core.Tests.Model;

/// <summary>
/// The engine and a trivial model side by side. Every public operation applies to both, checks the
/// engine's answer against what the model predicts, and then verifies the whole volume: every file's
/// size and bytes, SEEK_DATA/SEEK_HOLE against the model's zeros, Info()'s shared and saved bytes
/// against the extent listings, and every <see cref="HarnessOptions.CheckEvery"/> steps the engine's
/// own Check(). Operations take file ids (file "f3" is id 3), so a trace of calls replays exactly.
/// </summary>
internal sealed partial class ModelHarness : IDisposable
{
    private const uint RegularFile = 0x81A4;

    private readonly string _folder;
    private readonly HarnessOptions _options;
    private readonly CrashImage? _image;
    private ModelVolume _model;
    private FileSystem _fs;
    private bool _disposed;

    public ModelHarness(string folder, HarnessOptions options)
    {
        _folder = folder;
        _options = options;
        FileSystem.Format(folder, options.ToFormatOptions());
        _model = new ModelVolume(options.CaseSensitive);
        if (options.Crash != null)
        {
            _image = new CrashImage(options.BlockSize, options.VolumeBytes / options.BlockSize);
        }
        _fs = OpenVolume();
        Committed();
    }

    public int BlockSize => _fs.BlockSize;
    /// <summary>Operations done so far; a failure names the step it happened in.</summary>
    public int Step { get; private set; }
    /// <summary>Regular files, orphans included, by id.</summary>
    public IReadOnlyList<ModelFile> Files => _model.Files.ToList();
    public IReadOnlyList<ModelDirectory> Directories => _model.Directories.ToList();
    /// <summary>Every node but the root: files, directories, symlinks.</summary>
    public IReadOnlyList<ModelNode> Nodes => _model.Nodes.Where(n => n.Id != ModelVolume.RootId).ToList();
    public ModelNode? TryGet(int id) => _model.TryGet(id);
    public bool IsNamed(ModelNode node) => _model.Links(node.Id).Count > 0;
    /// <summary>Every name in the volume as (directory id, stored spelling), in a fixed order.</summary>
    public IReadOnlyList<(int Dir, string Name)> Entries =>
        _model.Directories.SelectMany(d => d.Entries.Values.OrderBy(e => e.Name, StringComparer.Ordinal).Select(e => (d.Id, e.Name))).ToList();

    private FileSystem OpenVolume() => FileSystem.Open(_folder, _options.ToOpenOptions(_image));

    private ModelFile File(int id)
    {
        return _model.TryGet(id) as ModelFile ?? throw new InvalidTraceException($"file {id} does not exist in the model");
    }

    private static void Expect(FsError actual, FsError expected, string what)
    {
        if (actual != expected)
        {
            throw new ModelDivergenceException($"{what}: engine returned {actual}, model expects {expected}");
        }
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>A NoSpace the options allow: the model stays as it is, and the step's verification proves the engine did too.</summary>
    private bool RefusedForSpace(FsError e)
    {
        if (e != FsError.NoSpace || !_options.AllowNoSpace)
        {
            return false;
        }
        NoSpaceRefusals++;
        AfterStep();
        return true;
    }

    /// <summary>Operations refused with NoSpace so far (only with <see cref="HarnessOptions.AllowNoSpace"/>).</summary>
    public int NoSpaceRefusals { get; private set; }

    /// <summary>Blocks copy recognition shared over the run, across remounts and crashes (each mount counts from zero).</summary>
    public long RecognizedBlocks { get; private set; }

    /// <summary>Inodes the tiny metadata budget dropped after steps (each then loaded again from meta.db).</summary>
    public long EvictedInodes { get; private set; }

    /// <summary>Directory entries the tiny metadata budget dropped after steps (each then read again from meta.db).</summary>
    public long EvictedEntries { get; private set; }

    /// <summary>Shared-table segments read from meta.db, and dropped, over the run (a tiny metadata budget drops every clean one after each step).</summary>
    public (long Loaded, long Evicted) SharedSegments { get; private set; }

    /// <summary>Adds what the mount about to go counted since it opened.</summary>
    private void CountMountFigures()
    {
        RecognizedBlocks += _fs.CacheStatistics().RecognizedBlocks;
        var (loaded, evicted) = _fs.SharedSegmentStatistics;
        SharedSegments = (SharedSegments.Loaded + loaded, SharedSegments.Evicted + evicted);
    }

    /// <summary>Creates file "f{id}" in the root.</summary>
    public void Create(int id) => Create(id, ModelVolume.RootId, Inv($"f{id}"));

    public void Write(int id, long offset, int length, int dataSeed)
    {
        var f = File(id);
        var data = ModelData.Generate(dataSeed, length);
        var e = _fs.Write(f.Ino, offset, data, out int written);
        if (RefusedForSpace(e))
        {
            return;
        }
        Expect(e, FsError.Ok, Inv($"write {length} bytes at {offset} to f{id}"));
        if (written != length)
        {
            throw new ModelDivergenceException(Inv($"write to f{id} wrote {written} bytes, not {length}"));
        }
        f.Write(offset, data);
        Modified(f);
        AfterStep();
    }

    /// <summary>
    /// Writes (not clones) bytes of one file into another, as a plain copy does: copy recognition shares
    /// the whole blocks it finds cached clean, and dedupe then finds them equal. With
    /// <paramref name="flip"/> in the range, the byte there is changed first: a copy slightly changed,
    /// whose changed block must be written and the others may be shared.
    /// </summary>
    public void CopyWrite(int src, long srcOffset, int dst, long dstOffset, int length, int flip = -1)
    {
        var s = File(src);
        var d = File(dst);
        if (srcOffset + length > s.Size)
        {
            throw new InvalidTraceException("copy past the source's end");
        }
        var data = s.Bytes.Slice((int)srcOffset, length).ToArray();
        if (flip >= 0 && flip < length)
        {
            data[flip] ^= 0x5A;
        }
        var e = _fs.Write(d.Ino, dstOffset, data, out int written);
        if (RefusedForSpace(e))
        {
            return;
        }
        Expect(e, FsError.Ok, Inv($"copy-write {length} bytes at {dstOffset} to f{dst}"));
        if (written != length)
        {
            throw new ModelDivergenceException(Inv($"copy-write to f{dst} wrote {written} bytes, not {length}"));
        }
        d.Write(dstOffset, data);
        Modified(d);
        AfterStep();
    }

    public void Read(int id, long offset, int length)
    {
        var f = File(id);
        var buffer = new byte[length];
        Expect(_fs.Read(f.Ino, offset, buffer, out int read), FsError.Ok, Inv($"read {length} bytes at {offset} of f{id}"));
        int expected = (int)Math.Clamp(f.Size - offset, 0, length);
        if (read != expected)
        {
            throw new ModelDivergenceException(Inv($"read of f{id} at {offset} returned {read} bytes, model expects {expected}"));
        }
        if (read > 0)
        {
            CompareBytes(f, offset, buffer.AsSpan(0, read), "read");
        }
        AfterStep();
    }

    public void Truncate(int id, long size)
    {
        var f = File(id);
        var e = _fs.SetAttributes(f.Ino, new SetAttributesRequest(SetAttributeFields.Size, Size: size), out var attr);
        if (RefusedForSpace(e))
        {
            return;
        }
        Expect(e, FsError.Ok, Inv($"truncate f{id} to {size}"));
        if (attr.Size != size)
        {
            throw new ModelDivergenceException(Inv($"truncate of f{id} to {size} reports size {attr.Size}"));
        }
        f.SetSize(size);
        Modified(f);
        AfterStep();
    }

    /// <summary>fallocate in any mode: reserve (extending or not), punch a hole, zero a range.</summary>
    public void Allocate(int id, long offset, long length, AllocateMode mode)
    {
        var f = File(id);
        var e = _fs.Allocate(f.Ino, offset, length, mode);
        if (RefusedForSpace(e))
        {
            return;
        }
        Expect(e, FsError.Ok, Inv($"allocate {mode} {offset}+{length} in f{id}"));
        long end = offset + length;
        switch (mode)
        {
            case AllocateMode.Allocate:
                f.SetSize(Math.Max(f.Size, end));
                break;
            case AllocateMode.KeepSize:
                break;
            case AllocateMode.PunchHole:
            case AllocateMode.ZeroRangeKeepSize:
                f.Zero(offset, length);
                Modified(f);
                break;
            case AllocateMode.ZeroRange:
                f.Zero(offset, length);
                f.SetSize(Math.Max(f.Size, end));
                Modified(f);
                break;
        }
        AfterStep();
    }

    /// <summary>CloneRange as documented: clipped at the source's EOF, extending the destination; same-file overlap is InvalidArgument.</summary>
    public void Clone(int src, long srcOffset, int dst, long dstOffset, long length)
    {
        var s = File(src);
        var d = File(dst);
        long n = srcOffset >= s.Size ? 0 : Math.Min(length, s.Size - srcOffset);
        bool overlap = n > 0 && s == d && srcOffset < dstOffset + n && dstOffset < srcOffset + n;
        var e = _fs.CloneRange(s.Ino, srcOffset, d.Ino, dstOffset, length, out long cloned);
        if (RefusedForSpace(e))
        {
            return;
        }
        string what = Inv($"clone f{src}@{srcOffset} -> f{dst}@{dstOffset} length {length}");
        Expect(e, overlap ? FsError.InvalidArgument : FsError.Ok, what);
        long expectedCloned = overlap ? 0 : n;
        if (cloned != expectedCloned && !(_options.AllowNoSpace && cloned > 0 && cloned < expectedCloned))
        {
            throw new ModelDivergenceException(Inv($"{what}: engine cloned {cloned} bytes, model expects {expectedCloned}"));
        }
        if (!overlap && cloned > 0)
        {
            d.Write(dstOffset, s.Bytes.Slice((int)srcOffset, (int)cloned).ToArray());
            Modified(d);
        }
        AfterStep();
    }

    /// <summary>A reflink copy of a whole file, as `cp --reflink` makes it: empty the destination, clone everything.</summary>
    public void CloneFile(int src, int dst)
    {
        var s = File(src);
        var d = File(dst);
        Expect(_fs.SetAttributes(d.Ino, new SetAttributesRequest(SetAttributeFields.Size, Size: 0), out _), FsError.Ok, Inv($"truncate f{dst} to 0 for a whole-file clone"));
        d.SetSize(0);
        Modified(d);
        long expected = s.Size;
        var content = s.Snapshot();
        var e = _fs.CloneRange(s.Ino, 0, d.Ino, 0, long.MaxValue, out long cloned);
        if (RefusedForSpace(e))
        {
            return;
        }
        Expect(e, FsError.Ok, Inv($"whole-file clone f{src} -> f{dst}"));
        if (cloned != expected && !(_options.AllowNoSpace && cloned > 0 && cloned < expected))
        {
            throw new ModelDivergenceException(Inv($"whole-file clone f{src} -> f{dst} cloned {cloned} bytes, model expects {expected}"));
        }
        d.Write(0, content.AsSpan(0, (int)cloned));
        Modified(d);
        AfterStep();
    }

    /// <summary>DedupeRange: InvalidArgument for incongruent offsets, ranges past EOF or same-file overlap; DataDiffers unless equal; then the whole blocks share.</summary>
    public void Dedupe(int src, long srcOffset, int dst, long dstOffset, long length)
    {
        var s = File(src);
        var d = File(dst);
        int bs = BlockSize;
        FsError expected;
        if (srcOffset % bs != dstOffset % bs || srcOffset + length > s.Size || dstOffset + length > d.Size
            || (s == d && srcOffset < dstOffset + length && dstOffset < srcOffset + length))
        {
            expected = FsError.InvalidArgument;
        }
        else if (length > 0 && !s.Bytes.Slice((int)srcOffset, (int)length).SequenceEqual(d.Bytes.Slice((int)dstOffset, (int)length)))
        {
            expected = FsError.DataDiffers;
        }
        else
        {
            expected = FsError.Ok;
        }
        string what = Inv($"dedupe f{src}@{srcOffset} -> f{dst}@{dstOffset} length {length}");
        Expect(_fs.DedupeRange(s.Ino, srcOffset, d.Ino, dstOffset, length, out long deduped), expected, what);
        if (expected == FsError.Ok)
        {
            if (deduped != length)
            {
                throw new ModelDivergenceException(Inv($"{what}: deduped {deduped} bytes"));
            }
            CheckShared(s, srcOffset, d, dstOffset, length, what);
        }
        AfterStep();
    }

    /// <summary>After a dedupe, every whole block of the range maps the same physical block in both files (or is a hole in both).</summary>
    private void CheckShared(ModelFile s, long srcOffset, ModelFile d, long dstOffset, long length, string what)
    {
        int bs = BlockSize;
        var srcMap = PhysicalMap(s);
        var dstMap = PhysicalMap(d);
        long delta = dstOffset / bs - srcOffset / bs;
        for (long b = (srcOffset + bs - 1) / bs; b < (srcOffset + length) / bs; b++)
        {
            long sp = srcMap.GetValueOrDefault(b, -1), dp = dstMap.GetValueOrDefault(b + delta, -1);
            if (sp != dp)
            {
                throw new ModelDivergenceException(Inv($"{what}: block {b} of f{s.Id} maps physical {sp} but block {b + delta} of f{d.Id} maps {dp}; equal ranges must share"));
            }
        }
    }

    private Dictionary<long, long> PhysicalMap(ModelFile f)
    {
        Expect(_fs.GetExtents(f.Ino, out var extents), FsError.Ok, Inv($"extents of f{f.Id}"));
        var map = new Dictionary<long, long>();
        int bs = BlockSize;
        foreach (var x in extents)
        {
            for (long i = 0; i < x.Length / bs; i++)
            {
                map[x.LogicalOffset / bs + i] = x.PhysicalOffset / bs + i;
            }
        }
        return map;
    }

    /// <summary>Unlinks the file's first name (its only one, unless it was linked).</summary>
    public void Unlink(int id)
    {
        _ = File(id);
        var links = _model.Links(id);
        if (links.Count == 0)
        {
            throw new InvalidTraceException($"file {id} is already unlinked");
        }
        Unlink(links[0].Dir.Id, links[0].Name);
    }

    public void Open(int id)
    {
        var f = File(id);
        Expect(_fs.OpenInode(f.Ino), FsError.Ok, Inv($"open f{id}"));
        f.OpenCount++;
        AfterStep();
    }

    public void Release(int id)
    {
        var f = File(id);
        if (f.OpenCount == 0)
        {
            throw new InvalidTraceException($"file {id} is not open");
        }
        Expect(_fs.Release(f.Ino), FsError.Ok, Inv($"release f{id}"));
        f.OpenCount--;
        if (_model.ReleasedLast(f))
        {
            Gone(f);
        }
        AfterStep();
    }

    /// <summary>The inode is reclaimed: the model forgets it and the engine must not know its number any more.</summary>
    private void Gone(ModelNode f)
    {
        Expect(_fs.GetAttributes(f.Ino, out _), FsError.NotFound, Inv($"getattr of reclaimed f{f.Id} (ino {f.Ino})"));
    }

    public void Fsync(int id)
    {
        var f = File(id);
        Expect(_fs.Fsync(f.Ino), FsError.Ok, Inv($"fsync f{id}"));
        Committed();
        AfterStep();
    }

    /// <summary>Unmount and mount again: open handles are gone, so orphans are reclaimed; Check() must be clean.</summary>
    public void Reopen()
    {
        if (!_ownsVolume)
        {
            throw new InvalidOperationException("a harness on a shared volume cannot remount it; its owner does, then calls Remounted");
        }
        CountMountFigures();
        _fs.Dispose();
        _fs = OpenVolume();
        ForgetHandles();
        Committed();
        RequireClean("after reopen");
        AfterStep();
    }

    private void ForgetHandles()
    {
        foreach (var f in _model.ForgetHandles())
        {
            Expect(_fs.GetAttributes(f.Ino, out _), FsError.NotFound, Inv($"getattr of orphan f{f.Id} (ino {f.Ino}) after remount"));
        }
    }

    public void SeekCheck(int id, long offset)
    {
        var f = File(id);
        if (offset >= f.Size)
        {
            Expect(_fs.Seek(f.Ino, offset, SeekWhence.Data, out _), FsError.NoData, Inv($"SEEK_DATA at {offset} of f{id} (size {f.Size})"));
            Expect(_fs.Seek(f.Ino, offset, SeekWhence.Hole, out _), FsError.NoData, Inv($"SEEK_HOLE at {offset} of f{id} (size {f.Size})"));
        }
        else
        {
            long data = SeekData(f, offset);
            RequireZeros(f, offset, data, Inv($"SEEK_DATA from {offset} returned {data}, skipping"));
            var e = _fs.Seek(f.Ino, offset, SeekWhence.Hole, out long hole);
            Expect(e, FsError.Ok, Inv($"SEEK_HOLE at {offset} of f{id}"));
            if (hole < offset || hole > f.Size)
            {
                throw new ModelDivergenceException(Inv($"SEEK_HOLE at {offset} of f{id} returned {hole}, outside [{offset}, {f.Size}]"));
            }
            if (hole < f.Size)
            {
                long next = SeekData(f, hole);
                if (next == hole)
                {
                    throw new ModelDivergenceException(Inv($"f{id}: {hole} is both a hole (SEEK_HOLE from {offset}) and data (SEEK_DATA from {hole})"));
                }
                RequireZeros(f, hole, next, Inv($"SEEK_HOLE from {offset} returned {hole}, a hole until {next}, but it covers"));
            }
        }
        AfterStep();
    }

    /// <summary>SEEK_DATA from an offset inside the file: the data offset, or the size when the rest is a hole.</summary>
    private long SeekData(ModelFile f, long offset)
    {
        var e = _fs.Seek(f.Ino, offset, SeekWhence.Data, out long data);
        if (e == FsError.NoData)
        {
            return f.Size;
        }
        Expect(e, FsError.Ok, Inv($"SEEK_DATA at {offset} of f{f.Id}"));
        if (data < offset || data >= f.Size)
        {
            throw new ModelDivergenceException(Inv($"SEEK_DATA at {offset} of f{f.Id} returned {data}, outside [{offset}, {f.Size})"));
        }
        return data;
    }

    private static void RequireZeros(ModelFile f, long from, long to, string what)
    {
        if (to <= from)
        {
            return;
        }
        int i = f.Bytes.Slice((int)from, (int)(to - from)).IndexOfAnyExcept((byte)0);
        if (i >= 0)
        {
            throw new ModelDivergenceException(Inv($"f{f.Id}: {what} the non-zero byte at offset {from + i} (model byte 0x{f.Bytes[(int)(from + i)]:X2})"));
        }
    }

    public void Check()
    {
        RequireClean("on request");
        AfterStep();
    }

    private void RequireClean(string when)
    {
        var violations = _fs.Check();
        if (violations.Count > 0)
        {
            throw new ModelDivergenceException($"Check() {when} found {violations.Count} violation(s):\n  " + string.Join("\n  ", violations.Select(v => v.ToString())));
        }
        try
        {
            _fs.CheckContentIndex();
        }
        catch (InvalidOperationException e)
        {
            throw new ModelDivergenceException($"{e.Message} ({when})");
        }
    }

    /// <summary>Everything after one operation: every file's bytes and size, SEEK consistency, shared-byte figures, and periodically Check().</summary>
    private void AfterStep()
    {
        Step++;
        EvictIfTiny();
        foreach (var f in _model.Files)
        {
            CompareFile(f);
            ScanHoles(f);
        }
        CompareNamespace();
        if (_ownsVolume)
        {
            CompareSharing();
        }
        if (_ownsVolume && Step % _options.CheckEvery == 0)
        {
            RequireClean(Inv($"at step {Step}"));
        }
        EvictIfTiny();
    }

    /// <summary>With a tiny metadata budget, drops every clean inode and shared-table segment now rather than when the pool thread gets to it.</summary>
    private void EvictIfTiny()
    {
        if (_options.MetadataCacheBytes == HarnessOptions.TinyMetadataCache)
        {
            long entriesBefore = _fs.EvictedDirectoryEntries;
            EvictedInodes += _fs.EvictMetadata();
            EvictedEntries += _fs.EvictedDirectoryEntries - entriesBefore;
        }
    }

    private void CompareFile(ModelFile f)
    {
        Expect(_fs.GetAttributes(f.Ino, out var attr), FsError.Ok, Inv($"getattr f{f.Id}"));
        if (attr.Size != f.Size)
        {
            throw new ModelDivergenceException(Inv($"f{f.Id} (ino {f.Ino}) has size {attr.Size}, model {f.Size}"));
        }
        var buffer = new byte[f.Size + 1];
        Expect(_fs.Read(f.Ino, 0, buffer, out int read), FsError.Ok, Inv($"read of all of f{f.Id}"));
        if (read != f.Size)
        {
            throw new ModelDivergenceException(Inv($"reading all of f{f.Id} returned {read} bytes, size is {f.Size}"));
        }
        CompareBytes(f, 0, buffer.AsSpan(0, read), "whole-file read");
    }

    private void CompareBytes(ModelFile f, long offset, ReadOnlySpan<byte> engine, string what)
    {
        var model = f.Bytes.Slice((int)offset, engine.Length);
        if (!engine.SequenceEqual(model))
        {
            int i = 0;
            while (engine[i] == model[i])
            {
                i++;
            }
            throw new ModelDivergenceException(Inv($"{what} of f{f.Id} (ino {f.Ino}, size {f.Size}): first differing byte at offset {offset + i} (block {(offset + i) / BlockSize}, byte {(offset + i) % BlockSize} in it): engine 0x{engine[i]:X2}, model 0x{model[i]:X2}"));
        }
    }

    /// <summary>Walks the file by SEEK_DATA/SEEK_HOLE: no non-zero model byte may lie in a hole.</summary>
    private void ScanHoles(ModelFile f)
    {
        long pos = 0;
        while (pos < f.Size)
        {
            long data = SeekData(f, pos);
            RequireZeros(f, pos, data, Inv($"SEEK_DATA from {pos} returned {data}, skipping"));
            if (data >= f.Size)
            {
                return;
            }
            Expect(_fs.Seek(f.Ino, data, SeekWhence.Hole, out long hole), FsError.Ok, Inv($"SEEK_HOLE at {data} of f{f.Id}"));
            if (hole <= data || hole > f.Size)
            {
                throw new ModelDivergenceException(Inv($"SEEK_HOLE at data offset {data} of f{f.Id} returned {hole}, outside ({data}, {f.Size}]"));
            }
            pos = hole;
        }
    }

    /// <summary>Info()'s shared and saved bytes, and each extent's share count, against references counted from every file's extents.</summary>
    private void CompareSharing()
    {
        int bs = BlockSize;
        var refs = new Dictionary<long, int>();
        var listings = new List<(ModelFile File, IReadOnlyList<FileExtent> Extents)>();
        foreach (var f in _model.Files)
        {
            Expect(_fs.GetExtents(f.Ino, out var extents), FsError.Ok, Inv($"extents of f{f.Id}"));
            listings.Add((f, extents));
            foreach (var x in extents)
            {
                for (long b = x.PhysicalOffset / bs; b < (x.PhysicalOffset + x.Length) / bs; b++)
                {
                    refs[b] = refs.GetValueOrDefault(b) + 1;
                }
            }
        }
        foreach (var (f, extents) in listings)
        {
            foreach (var x in extents)
            {
                for (long b = x.PhysicalOffset / bs; b < (x.PhysicalOffset + x.Length) / bs; b++)
                {
                    if (refs[b] != x.ShareCount)
                    {
                        throw new ModelDivergenceException(Inv($"f{f.Id}: extent at {x.LogicalOffset} says physical block {b} has {x.ShareCount} references; the files' extents map it {refs[b]} times"));
                    }
                }
            }
        }
        long shared = refs.Values.Count(r => r >= 2) * (long)bs;
        long saved = refs.Values.Where(r => r >= 2).Sum(r => (long)(r - 1)) * bs;
        var info = _fs.Info();
        if (info.SharedBytes != shared || info.SavedBytes != saved)
        {
            throw new ModelDivergenceException(Inv($"Info() reports {info.SharedBytes} shared / {info.SavedBytes} saved bytes; the extents give {shared} / {saved}"));
        }
        int files = _model.Nodes.Count(n => n is not ModelDirectory), dirs = _model.Directories.Count();
        if (info.Files != files || info.Directories != dirs)
        {
            throw new ModelDivergenceException(Inv($"Info() counts {info.Files} files and {info.Directories} directories, the model has {files} and {dirs}"));
        }
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (_ownsVolume)
            {
                CountMountFigures();
                _fs.Dispose();
            }
        }
    }
}
