namespace WinReflink.Core.Tests.Crash;

/// <summary>
/// The data file of a crash-tested volume, in memory, outliving the FileSystem instances that use it:
/// a durable image plus the writes not yet flushed, kept per 4 KiB block in the order they were
/// written (the host's page cache). Reads see the newest version, as they would on a real host.
/// A crash resolves the unflushed versions by a <see cref="CrashPolicy"/>. Safe for the engine's
/// background writer to use alongside the thread that reads.
/// </summary>
internal sealed class CrashImage
{
    private readonly Dictionary<long, byte[]> _durable = new();
    private readonly Dictionary<long, List<byte[]>> _pending = new();
    private readonly Lock _gate = new();

    public CrashImage(int blockSize, long capacityBlocks)
    {
        BlockSize = blockSize;
        CapacityBlocks = capacityBlocks;
    }

    public int BlockSize { get; }
    public long CapacityBlocks { get; }
    public int PendingBlocks
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    public long Flushes { get; private set; }

    public void Read(long block, Span<byte> destination)
    {
        lock (_gate)
        {
            if (_pending.TryGetValue(block, out var versions))
            {
                versions[^1].CopyTo(destination);
            }
            else if (_durable.TryGetValue(block, out var data))
            {
                data.CopyTo(destination);
            }
            else
            {
                destination.Clear();
            }
        }
    }

    public void Write(long block, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (!_pending.TryGetValue(block, out var versions))
            {
                versions = new List<byte[]>();
                _pending.Add(block, versions);
            }
            versions.Add(data.ToArray());
        }
    }

    public void Flush()
    {
        lock (_gate)
        {
            foreach (var (block, versions) in _pending)
            {
                _durable[block] = versions[^1];
            }
            _pending.Clear();
            Flushes++;
        }
    }

    /// <summary>Power is cut: what was not flushed is resolved by the policy, and what remains is durable.</summary>
    public void Crash(Random random, CrashPolicy policy)
    {
        lock (_gate)
        {
            foreach (var (block, versions) in _pending.OrderBy(kv => kv.Key))
            {
                switch (policy)
                {
                    case CrashPolicy.KeepPending:
                        _durable[block] = versions[^1];
                        break;
                    case CrashPolicy.TornPending:
                        // 0 keeps the durable block; k takes the k-th unflushed version.
                        int pick = random.Next(versions.Count + 1);
                        if (pick > 0)
                        {
                            _durable[block] = versions[pick - 1];
                        }
                        break;
                    case CrashPolicy.DropPending:
                        break;
                }
            }
            _pending.Clear();
        }
    }
}
