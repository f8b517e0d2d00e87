using System.Globalization;

namespace WinReflink.Core.Tests.Model;

/// <summary>
/// Draws random operations from a profile's mix, with arguments chosen to hit the interesting cases:
/// block-aligned and unaligned offsets and lengths, writes past EOF leaving holes, truncates to odd
/// sizes, clones within and across files (congruent or not, to EOF or not, sometimes overlapping),
/// dedupe of ranges made equal by a plain copy just before. Files stay at most <see cref="MaxFileBytes"/>.
/// With namespace weights in the profile it also builds a small tree (see OperationGenerator.Namespace.cs).
/// </summary>
internal sealed partial class OperationGenerator
{
    private const int MaxIoBytes = 64 << 10;
    private const int MaxFiles = 8;

    private readonly Random _rng;
    private readonly ExerciserProfile _profile;
    private readonly int _totalWeight;
    /// <summary>Operations drawn as a consequence of an earlier one, made when their turn comes (so they see the sizes then).</summary>
    private readonly Queue<Func<ModelHarness, ModelOp>> _followUps = new();
    private readonly int _bs;
    private int _nextId = 1;

    public OperationGenerator(Random rng, ExerciserProfile profile, int blockSize)
    {
        _rng = rng;
        _profile = profile;
        _totalWeight = profile.Weights.Values.Sum();
        _bs = blockSize;
        MaxFileBytes = Math.Max(256 << 10, 8 * blockSize);
        _namespace = profile.Weights.GetValueOrDefault(OpKind.Mkdir) > 0;
    }

    /// <summary>Files stay this small (256 KiB, or 8 blocks of a larger block size) so every step can compare them whole.</summary>
    public int MaxFileBytes { get; }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    public ModelOp Next(ModelHarness h)
    {
        if (_followUps.Count > 0)
        {
            return _followUps.Dequeue()(h);
        }
        var files = h.Files;
        if (files.Count == 0)
        {
            return _namespace ? CreateIn(h) : Create();
        }
        var kind = Draw();
        var f = files[_rng.Next(files.Count)];
        var g = files[_rng.Next(files.Count)];
        switch (kind)
        {
            case OpKind.Create:
                return files.Count >= MaxFiles ? Unlink(h, files) ?? Write(f) : _namespace ? CreateIn(h) : Create();
            case OpKind.Write:
                return Write(f);
            case OpKind.CopyWrite:
                return f.Size == 0 ? Write(f) : CopyWrite(f, g, followWithDedupe: false);
            case OpKind.Read:
                {
                    long offset = _rng.NextInt64(0, f.Size + _bs);
                    int length = Length(MaxIoBytes);
                    return new ModelOp(Inv($"h.Read({f.Id}, {offset}, {length});"), [f.Id], x => x.Read(f.Id, offset, length));
                }
            case OpKind.Truncate:
                {
                    long size = _rng.Next(3) switch
                    {
                        0 => _rng.Next(MaxFileBytes / _bs + 1) * (long)_bs,
                        1 => Math.Clamp(f.Size + _rng.Next(-2 * _bs, 2 * _bs), 0, MaxFileBytes),
                        _ => _rng.NextInt64(0, MaxFileBytes + 1),
                    };
                    return new ModelOp(Inv($"h.Truncate({f.Id}, {size});"), [f.Id], x => x.Truncate(f.Id, size));
                }
            case OpKind.PunchHole:
                return Allocate(f, AllocateMode.PunchHole);
            case OpKind.ZeroRange:
                return Allocate(f, _rng.Next(2) == 0 ? AllocateMode.ZeroRange : AllocateMode.ZeroRangeKeepSize);
            case OpKind.Fallocate:
                return Allocate(f, _rng.Next(2) == 0 ? AllocateMode.Allocate : AllocateMode.KeepSize);
            case OpKind.CloneRange:
                return CloneRange(f, _rng.Next(3) == 0 ? f : g);
            case OpKind.CloneFile:
                return CloneFile(f, files);
            case OpKind.Dedupe:
                return Dedupe(f, g);
            case OpKind.Unlink:
                return files.Count > 1 ? Unlink(h, files) ?? Write(f) : Write(f);
            case OpKind.Open:
                return f.OpenCount < 3 ? new ModelOp(Inv($"h.Open({f.Id});"), [f.Id], x => x.Open(f.Id)) : Write(f);
            case OpKind.Release:
                {
                    var open = files.Where(x => x.OpenCount > 0).ToList();
                    if (open.Count == 0)
                    {
                        return Write(f);
                    }
                    int id = open[_rng.Next(open.Count)].Id;
                    return new ModelOp(Inv($"h.Release({id});"), [id], x => x.Release(id));
                }
            case OpKind.Fsync:
                return new ModelOp(Inv($"h.Fsync({f.Id});"), [f.Id], x => x.Fsync(f.Id));
            case OpKind.Reopen:
                return new ModelOp("h.Reopen();", [], x => x.Reopen());
            case OpKind.Crash:
                {
                    int crashSeed = _rng.Next();
                    return new ModelOp(Inv($"h.Crash({crashSeed});"), [], x => x.Crash(crashSeed));
                }
            case OpKind.Seek:
                {
                    long offset = _rng.Next(4) == 0 ? _rng.Next((int)(f.Size / _bs) + 2) * (long)_bs : _rng.NextInt64(0, f.Size + _bs);
                    return new ModelOp(Inv($"h.SeekCheck({f.Id}, {offset});"), [f.Id], x => x.SeekCheck(f.Id, offset));
                }
            case OpKind.Check:
                return new ModelOp("h.Check();", [], x => x.Check());
            case OpKind.FsyncAppend:
                return FsyncThenAppend(f, files);
            case OpKind.Mkdir:
            case OpKind.Rmdir:
            case OpKind.Rename:
            case OpKind.Link:
            case OpKind.Symlink:
            case OpKind.UnlinkName:
            case OpKind.SetXattr:
            case OpKind.RemoveXattr:
                return NamespaceOp(kind, h) ?? Write(f);
            default:
                throw new InvalidOperationException($"no generator for {kind}");
        }
    }

    private OpKind Draw()
    {
        int pick = _rng.Next(_totalWeight);
        foreach (var (kind, weight) in _profile.Weights)
        {
            if (pick < weight)
            {
                return kind;
            }
            pick -= weight;
        }
        throw new InvalidOperationException("weights changed while drawing");
    }

    private ModelOp Create()
    {
        int id = _nextId++;
        return new ModelOp(Inv($"h.Create({id});"), [id], x => x.Create(id));
    }

    private ModelOp? Unlink(ModelHarness h, IReadOnlyList<ModelFile> files)
    {
        var named = files.Where(h.IsNamed).ToList();
        if (named.Count == 0)
        {
            return null;
        }
        int id = named[_rng.Next(named.Count)].Id;
        return new ModelOp(Inv($"h.Unlink({id});"), [id], x => x.Unlink(id));
    }

    /// <summary>An offset below the limit: a block boundary half the time, any byte otherwise.</summary>
    private long Offset(long limit)
    {
        if (limit <= 0)
        {
            return 0;
        }
        return _rng.Next(2) == 0 ? _rng.NextInt64(0, (limit + _bs - 1) / _bs) * _bs : _rng.NextInt64(0, limit);
    }

    /// <summary>A length from 1 to max: a few bytes, whole blocks, or anything.</summary>
    private int Length(int max)
    {
        if (max <= 1)
        {
            return 1;
        }
        return _rng.Next(3) switch
        {
            0 => _rng.Next(1, Math.Min(max, 200) + 1),
            1 => Math.Min(max, _rng.Next(1, 17) * _bs),
            _ => _rng.Next(1, max + 1),
        };
    }

    private ModelOp Write(ModelFile f)
    {
        long offset = _rng.Next(10) < 3
            ? Math.Clamp(f.Size + _rng.Next(-2 * _bs, 3 * _bs), 0, MaxFileBytes - 1)
            : Offset(MaxFileBytes);
        int length = Length((int)Math.Min(MaxIoBytes, MaxFileBytes - offset));
        int dataSeed = _rng.Next(10) == 0 ? 0 : _rng.Next(1, int.MaxValue);
        int id = f.Id;
        return new ModelOp(Inv($"h.Write({id}, {offset}, {length}, {dataSeed});"), [id], x => x.Write(id, offset, length, dataSeed));
    }

    private ModelOp CopyWrite(ModelFile src, ModelFile dst, bool followWithDedupe)
    {
        long srcOffset = Offset(src.Size);
        int length = Length((int)Math.Min(MaxIoBytes, src.Size - srcOffset));
        long dstOffset = CongruentOffset(srcOffset, MaxFileBytes - length);
        if (src == dst && srcOffset < dstOffset + length && dstOffset < srcOffset + length)
        {
            dst = src;
            dstOffset = srcOffset;
        }
        int s = src.Id, d = dst.Id;
        if (followWithDedupe)
        {
            long len = length;
            if (s == d && srcOffset == dstOffset)
            {
                // Copying a range onto itself leaves nothing to dedupe; dedupe it with a fresh copy elsewhere instead.
                return Write(dst);
            }
            _followUps.Enqueue(_ => new ModelOp(Inv($"h.Dedupe({s}, {srcOffset}, {d}, {dstOffset}, {len});"), [s, d], x => x.Dedupe(s, srcOffset, d, dstOffset, len)));
        }
        if (!followWithDedupe && _rng.Next(4) == 0)
        {
            int flip = _rng.Next(length);
            return new ModelOp(Inv($"h.CopyWrite({s}, {srcOffset}, {d}, {dstOffset}, {length}, {flip});"), [s, d], x => x.CopyWrite(s, srcOffset, d, dstOffset, length, flip));
        }
        return new ModelOp(Inv($"h.CopyWrite({s}, {srcOffset}, {d}, {dstOffset}, {length});"), [s, d], x => x.CopyWrite(s, srcOffset, d, dstOffset, length));
    }

    /// <summary>An offset below limit with the same position inside its block as <paramref name="offset"/>.</summary>
    private long CongruentOffset(long offset, long limit)
    {
        long within = offset % _bs;
        long blocks = (limit - within) / _bs;
        return blocks <= 0 ? Math.Min(offset, limit) : _rng.NextInt64(0, blocks + 1) * _bs + within;
    }

    private ModelOp Allocate(ModelFile f, AllocateMode mode)
    {
        long offset = _rng.Next(4) == 0 ? Math.Clamp(f.Size - _rng.Next(2 * _bs), 0, MaxFileBytes - 1) : Offset(MaxFileBytes);
        long length = Length((int)Math.Min(MaxIoBytes, MaxFileBytes - offset));
        int id = f.Id;
        return new ModelOp(Inv($"h.Allocate({id}, {offset}, {length}, AllocateMode.{mode});"), [id], x => x.Allocate(id, offset, length, mode));
    }

    private ModelOp CloneRange(ModelFile src, ModelFile dst)
    {
        long srcOffset = _rng.Next(10) switch
        {
            < 7 when src.Size > 0 => Offset(src.Size),
            7 => src.Size,
            8 => src.Size + _rng.Next(1, 2 * _bs),
            _ => Offset(src.Size),
        };
        long dstOffset = _rng.Next(10) switch
        {
            < 5 => CongruentOffset(srcOffset, MaxFileBytes - 1),
            < 7 => _rng.Next(MaxFileBytes / _bs) * (long)_bs,
            8 => Math.Clamp(dst.Size + _rng.Next(-_bs, 2 * _bs), 0, MaxFileBytes - 1),
            _ => _rng.NextInt64(0, MaxFileBytes),
        };
        long length = _rng.Next(5) == 0 ? long.MaxValue : Length(MaxIoBytes * 2);
        long effective = srcOffset >= src.Size ? 0 : Math.Min(length, src.Size - srcOffset);
        if (dstOffset + effective > MaxFileBytes)
        {
            length = MaxFileBytes - dstOffset;
        }
        int s = src.Id, d = dst.Id;
        string len = length == long.MaxValue ? "long.MaxValue" : length.ToString(CultureInfo.InvariantCulture);
        return new ModelOp(Inv($"h.Clone({s}, {srcOffset}, {d}, {dstOffset}, {len});"), [s, d], x => x.Clone(s, srcOffset, d, dstOffset, length));
    }

    private ModelOp CloneFile(ModelFile src, IReadOnlyList<ModelFile> files)
    {
        var others = files.Where(x => x != src).ToList();
        int s = src.Id;
        if (others.Count == 0 || (files.Count < MaxFiles && _rng.Next(2) == 0))
        {
            var create = Create();
            int created = _nextId - 1;
            _followUps.Enqueue(_ => new ModelOp(Inv($"h.CloneFile({s}, {created});"), [s, created], x => x.CloneFile(s, created)));
            return create;
        }
        int d = others[_rng.Next(others.Count)].Id;
        return new ModelOp(Inv($"h.CloneFile({s}, {d});"), [s, d], x => x.CloneFile(s, d));
    }

    private ModelOp Dedupe(ModelFile src, ModelFile dst)
    {
        if (src.Size > 0 && _rng.Next(2) == 0)
        {
            return CopyWrite(src, dst, followWithDedupe: true);
        }
        long srcOffset = Offset(src.Size + _bs);
        long dstOffset = _rng.Next(4) == 0 ? Offset(dst.Size + _bs) : CongruentOffset(srcOffset, Math.Max(0, dst.Size - 1));
        long length = _rng.Next(3) == 0 ? Math.Max(0, Math.Min(src.Size - srcOffset, dst.Size - dstOffset)) : Length(MaxIoBytes);
        int s = src.Id, d = dst.Id;
        return new ModelOp(Inv($"h.Dedupe({s}, {srcOffset}, {d}, {dstOffset}, {length});"), [s, d], x => x.Dedupe(s, srcOffset, d, dstOffset, length));
    }
}
