using System.Globalization;
using WinReflink.Core.Errors;
using WinReflink.Core.Tests.Model;

namespace WinReflink.Core.Tests.Concurrency;

/// <summary>
/// Every operation on two inodes, each in both orders, over the same few pairs: two files A (in
/// directory D1) and B (in D2), names that move between D1 and D2, a directory that does, and two
/// directories T1 and T2 that move into each other and back. Each call
/// lists the answers a race may give; anything else is a failure. Single-inode writes and fsyncs are
/// mixed in so commits and write-back take their locks among the others.
/// </summary>
internal sealed class TwoInodeOperations
{
    private const int FileBytes = 64 << 10;

    private readonly long _d1, _d2, _a, _b, _t1, _t2;

    private TwoInodeOperations(long d1, long d2, long a, long b, long t1, long t2)
    {
        _d1 = d1;
        _d2 = d2;
        _a = a;
        _b = b;
        _t1 = t1;
        _t2 = t2;
        All = Build();
    }

    /// <summary>The operations by name ("clone A->B", "clone B->A", ...).</summary>
    public IReadOnlyList<TwoInodeOperation> All { get; }

    public static TwoInodeOperations Create(FileSystem fs)
    {
        long d1 = NewNode.Directory(fs, FileSystem.RootIno, "D1"), d2 = NewNode.Directory(fs, FileSystem.RootIno, "D2");
        // A and B start equal, so dedupe between them succeeds until a write makes them differ.
        long a = NewNode.RegularFile(fs, d1, "a", ModelData.Generate(7, FileBytes)), b = NewNode.RegularFile(fs, d2, "b", ModelData.Generate(7, FileBytes));
        NewNode.RegularFile(fs, d1, "m");
        NewNode.RegularFile(fs, d1, "v");
        NewNode.RegularFile(fs, d2, "v");
        NewNode.RegularFile(fs, d1, "e1");
        NewNode.Directory(fs, d2, "e2");
        NewNode.Directory(fs, d1, "sub");
        long t1 = NewNode.Directory(fs, FileSystem.RootIno, "T1"), t2 = NewNode.Directory(fs, FileSystem.RootIno, "T2");
        return new TwoInodeOperations(d1, d2, a, b, t1, t2);
    }

    private List<TwoInodeOperation> Build()
    {
        var ops = new List<TwoInodeOperation>();
        void Both(string name, Func<FileSystem, Random, long, long, long, long, FsError> call, params FsError[] allowed)
        {
            // The same call with the roles of (D1, A) and (D2, B) swapped: the other lock order.
            ops.Add(new TwoInodeOperation(name.Replace("{x}", "1", StringComparison.Ordinal).Replace("{y}", "2", StringComparison.Ordinal).Replace("{X}", "A", StringComparison.Ordinal).Replace("{Y}", "B", StringComparison.Ordinal),
                (fs, rng) => call(fs, rng, _d1, _d2, _a, _b), allowed));
            ops.Add(new TwoInodeOperation(name.Replace("{x}", "2", StringComparison.Ordinal).Replace("{y}", "1", StringComparison.Ordinal).Replace("{X}", "B", StringComparison.Ordinal).Replace("{Y}", "A", StringComparison.Ordinal),
                (fs, rng) => call(fs, rng, _d2, _d1, _b, _a), allowed));
        }
        Both("rename D{x}/m -> D{y}/m", (fs, _, from, to, _, _) => fs.Rename(from, "m", to, "m", RenameFlags.None), FsError.Ok, FsError.NotFound);
        Both("rename D{x}/m -> D{y}/m (NOREPLACE)", (fs, _, from, to, _, _) => fs.Rename(from, "m", to, "m", RenameFlags.NoReplace), FsError.Ok, FsError.NotFound, FsError.Exists);
        Both("rename D{x}/v over D{y}/v", (fs, _, from, to, _, _) => fs.Rename(from, "v", to, "v", RenameFlags.None), FsError.Ok, FsError.NotFound);
        Both("create D{x}/v", (fs, _, dir, _, _, _) => fs.Create(dir, "v", NewNode.FileRequest, out _), FsError.Ok, FsError.Exists);
        Both("exchange D{x}/e{x} <-> D{y}/e{y}", (fs, _, from, to, _, _) => from == _d1
            ? fs.Rename(from, "e1", to, "e2", RenameFlags.Exchange)
            : fs.Rename(from, "e2", to, "e1", RenameFlags.Exchange), FsError.Ok);
        Both("rename directory D{x}/sub -> D{y}/sub", (fs, _, from, to, _, _) => fs.Rename(from, "sub", to, "sub", RenameFlags.None), FsError.Ok, FsError.NotFound);
        // T1 and T2 move into each other and back: each move must see whether the target is inside the
        // moved directory while the other move changes exactly that (InvalidArgument when it is).
        Both("move T{x} from the root into T{y}", (fs, _, from, _, _, _) => from == _d1
            ? fs.Rename(FileSystem.RootIno, "T1", _t2, "T1", RenameFlags.None)
            : fs.Rename(FileSystem.RootIno, "T2", _t1, "T2", RenameFlags.None), FsError.Ok, FsError.NotFound, FsError.InvalidArgument);
        Both("move T{x} from T{y} back to the root", (fs, _, from, _, _, _) => from == _d1
            ? fs.Rename(_t2, "T1", FileSystem.RootIno, "T1", RenameFlags.None)
            : fs.Rename(_t1, "T2", FileSystem.RootIno, "T2", RenameFlags.None), FsError.Ok, FsError.NotFound);
        Both("link {X} into D{y} as l{X}", (fs, _, _, to, src, _) => fs.Link(src, to, src == _a ? "lA" : "lB", out _), FsError.Ok, FsError.Exists);
        Both("unlink D{y}/l{X}", (fs, _, _, to, src, _) => fs.Unlink(to, src == _a ? "lA" : "lB"), FsError.Ok, FsError.NotFound);
        Both("clone {X} -> {Y}", (fs, rng, _, _, src, dst) =>
        {
            var (s, d, n) = Ranges(fs, rng);
            return fs.CloneRange(src, s, dst, d, n, out _);
        }, FsError.Ok);
        Both("dedupe {X} -> {Y}", (fs, rng, _, _, src, dst) =>
        {
            var (s, d, n) = Ranges(fs, rng);
            int bs = fs.BlockSize;
            // Congruent offsets: what is left is whether the bytes are equal, which a race decides.
            return fs.DedupeRange(src, s, dst, s % bs + d / bs * bs, Math.Min(n, FileBytes - (s % bs + d / bs * bs)), out _);
        }, FsError.Ok, FsError.DataDiffers);
        Both("write {X}", (fs, rng, _, _, file, _) =>
        {
            int offset = rng.Next(FileBytes);
            return fs.Write(file, offset, ModelData.Generate(rng.Next(1, 4), rng.Next(1, FileBytes - offset + 1)), out _);
        }, FsError.Ok);
        Both("fsync {X}", (fs, _, _, _, file, _) => fs.Fsync(file), FsError.Ok);
        return ops;
    }

    /// <summary>A source offset, destination offset and length inside the files' fixed size (so neither grows).</summary>
    private static (long Src, long Dst, long Length) Ranges(FileSystem fs, Random rng)
    {
        int bs = fs.BlockSize;
        bool aligned = rng.Next(2) == 0;
        long s = aligned ? rng.Next(FileBytes / bs) * (long)bs : rng.Next(FileBytes);
        long d = aligned ? rng.Next(FileBytes / bs) * (long)bs : rng.Next(FileBytes);
        long n = rng.Next(1, (int)(FileBytes - Math.Max(s, d)) + 1);
        return (s, d, n);
    }

    /// <summary>After the run, with the workers stopped: A and B are whole and still where they were; T1 and T2 are not a loop cut off from the root.</summary>
    public void Verify(FileSystem fs)
    {
        bool t1AtRoot = fs.Lookup(FileSystem.RootIno, "T1", out _) == FsError.Ok, t2AtRoot = fs.Lookup(FileSystem.RootIno, "T2", out _) == FsError.Ok;
        bool t1InT2 = fs.Lookup(_t2, "T1", out _) == FsError.Ok, t2InT1 = fs.Lookup(_t1, "T2", out _) == FsError.Ok;
        if ((t1AtRoot ? 1 : 0) + (t1InT2 ? 1 : 0) != 1 || (t2AtRoot ? 1 : 0) + (t2InT1 ? 1 : 0) != 1 || (t1InT2 && t2InT1))
        {
            throw new ModelDivergenceException($"T1 (at the root: {t1AtRoot}, in T2: {t1InT2}) and T2 (at the root: {t2AtRoot}, in T1: {t2InT1}) must each have one place, and not be inside each other");
        }
        foreach (var (dir, name, ino) in new[] { (_d1, "a", _a), (_d2, "b", _b) })
        {
            EngineAnswer.Ok(fs.Lookup(dir, name, out var attr), "lookup " + name);
            if (attr.Ino != ino || attr.Size != FileBytes)
            {
                throw new ModelDivergenceException(string.Create(CultureInfo.InvariantCulture, $"{name} is ino {attr.Ino} of {attr.Size} bytes; it was ino {ino} of {FileBytes}"));
            }
        }
    }
}

/// <summary>One call in one lock order, and the answers a race may give it.</summary>
internal sealed record TwoInodeOperation(string Name, Func<FileSystem, Random, FsError> Call, FsError[] Allowed);
