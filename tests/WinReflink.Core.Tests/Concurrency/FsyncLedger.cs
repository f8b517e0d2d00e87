using System.Globalization;
using WinReflink.Core.Tests.Model;

namespace WinReflink.Core.Tests.Concurrency;

/// <summary>
/// What one worker's fsyncs made durable: for each file it fsync'd, the content at that moment and
/// every version since. After a power cut a file not changed since its fsync must hold exactly what
/// it held then. A file changed since may show a later version (another worker's fsync or the timer
/// commits everyone's changes), with overwrites in place since torn, so it must have the size of one
/// of its versions and, at each offset, a byte one of them had there (zero past a version's end).
/// </summary>
internal sealed class FsyncLedger
{
    private readonly Dictionary<int, (long Ino, List<byte[]> Versions)> _files = new();

    public void Fsynced(ModelFile f) => _files[f.Id] = (f.Ino, [f.Snapshot()]);

    /// <summary>After an operation that may have changed the file: a new version if it did.</summary>
    public void MaybeChanged(ModelFile f)
    {
        if (_files.TryGetValue(f.Id, out var entry) && !entry.Versions[^1].AsSpan().SequenceEqual(f.Bytes))
        {
            entry.Versions.Add(f.Snapshot());
        }
    }

    /// <summary>Files whose content after a crash is known exactly (fsync'd and not changed since).</summary>
    public int ExactFiles => _files.Values.Count(e => e.Versions.Count == 1);

    public int TrackedFiles => _files.Count;

    public void VerifyAfterCrash(FileSystem fs, string worker)
    {
        foreach (var (id, (ino, versions)) in _files)
        {
            string name = string.Create(CultureInfo.InvariantCulture, $"{worker} f{id} (ino {ino}, {versions.Count - 1} version(s) after its fsync)");
            EngineAnswer.Ok(fs.GetAttributes(ino, out var attr), $"getattr of fsync'd {name} after the crash");
            if (!versions.Any(v => v.LongLength == attr.Size))
            {
                throw new ModelDivergenceException(string.Create(CultureInfo.InvariantCulture,
                    $"after the crash {name} has {attr.Size} bytes; fsync'd {versions[0].Length}, then [{string.Join(", ", versions.Skip(1).Select(v => v.Length))}]"));
            }
            var content = new byte[attr.Size];
            EngineAnswer.Ok(fs.Read(ino, 0, content, out int read), $"read of {name} after the crash");
            if (read != content.Length)
            {
                throw new ModelDivergenceException(string.Create(CultureInfo.InvariantCulture, $"after the crash reading {name} returned {read} of {content.Length} bytes"));
            }
            for (int i = 0; i < content.Length; i++)
            {
                byte b = content[i];
                if (!versions.Any(v => (i < v.Length ? v[i] : (byte)0) == b))
                {
                    byte fsynced = i < versions[0].Length ? versions[0][i] : (byte)0;
                    throw new ModelDivergenceException(string.Create(CultureInfo.InvariantCulture,
                        $"after the crash {name} shows 0x{b:X2} at offset {i} (block {i / fs.BlockSize}), a byte no version since its fsync had there (fsync'd 0x{fsynced:X2})"));
                }
            }
        }
    }
}
