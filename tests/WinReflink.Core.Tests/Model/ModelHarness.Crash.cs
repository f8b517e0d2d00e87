using WinReflink.Core.Errors;
using WinReflink.Core.Tests.Crash;

namespace WinReflink.Core.Tests.Model;

/// <summary>
/// What the model expects of a power cut. Every commit (fsync of any file, unmount) records the
/// namespace and every file's bytes; every change after it records the file's new bytes. After a crash
/// the volume must show the last commit: the same names, inodes and sizes (metadata rolls back
/// exactly), files untouched since the commit byte for byte, and files changed since then only bytes
/// they were given since the commit: each byte is the committed one or that of a later version, and a zero
/// only where one of those had a zero or a hole (zeros anywhere else are data the commit referenced that
/// never reached the disk, the ordered-mode violation). In-place overwrites of unshared blocks are not atomic,
/// but nothing may show bytes from another file or from freed blocks.
/// </summary>
internal sealed partial class ModelHarness
{
    private readonly Dictionary<int, List<byte[]>> _versionsSinceCommit = new();
    private Dictionary<string, CommittedFile> _committed = new(StringComparer.Ordinal);

    private sealed record CommittedFile(int Id, long Ino, byte[] Bytes);

    private void Committed()
    {
        if (_image == null)
        {
            return;
        }
        _committed = _files.Values.Where(f => f.Name != null).ToDictionary(f => f.Name!, f => new CommittedFile(f.Id, f.Ino, f.Snapshot()), StringComparer.Ordinal);
        _versionsSinceCommit.Clear();
    }

    private void Modified(ModelFile f)
    {
        if (_image == null)
        {
            return;
        }
        if (!_versionsSinceCommit.TryGetValue(f.Id, out var versions))
        {
            versions = new List<byte[]>();
            _versionsSinceCommit.Add(f.Id, versions);
        }
        versions.Add(f.Snapshot());
    }

    /// <summary>Cuts power: unflushed data writes are lost or torn by the harness's crash policy, then the volume is opened again and compared with the last commit.</summary>
    public void Crash(int crashSeed)
    {
        if (_image == null || _options.Crash is not { } policy)
        {
            throw new InvalidTraceException("Crash() needs HarnessOptions.Crash");
        }
        _fs.SimulateCrash();
        _image.Crash(new Random(crashSeed), policy);
        _fs = OpenVolume();
        RequireClean("after crash and reopen");
        var names = new List<string>();
        Expect(_fs.ReadDirectory(FileSystem.RootIno, 0, e =>
        {
            names.Add(e.Name);
            return true;
        }), FsError.Ok, "readdir of the root after crash");
        var missing = _committed.Keys.Except(names).ToList();
        var extra = names.Except(_committed.Keys).ToList();
        if (missing.Count > 0 || extra.Count > 0)
        {
            throw new ModelDivergenceException($"after crash the root lists [{string.Join(", ", names.Order())}], the last commit had [{string.Join(", ", _committed.Keys.Order())}]");
        }
        _files.Clear();
        foreach (var (name, committed) in _committed)
        {
            Expect(_fs.Lookup(FileSystem.RootIno, name, out var attr), FsError.Ok, $"lookup {name} after crash");
            if (attr.Ino != committed.Ino || attr.Size != committed.Bytes.Length)
            {
                throw new ModelDivergenceException(Inv($"after crash {name} is ino {attr.Ino} of {attr.Size} bytes; the last commit had ino {committed.Ino} of {committed.Bytes.Length} bytes"));
            }
            var content = new byte[attr.Size];
            Expect(_fs.Read(attr.Ino, 0, content, out int read), FsError.Ok, $"read {name} after crash");
            if (read != content.Length)
            {
                throw new ModelDivergenceException(Inv($"after crash reading {name} returned {read} of {content.Length} bytes"));
            }
            CheckSurvivor(name, committed, content);
            var f = new ModelFile(committed.Id, committed.Ino, name);
            f.Reset(content);
            _files.Add(f.Id, f);
        }
        Committed();
        AfterStep();
    }

    private void CheckSurvivor(string name, CommittedFile committed, byte[] content)
    {
        if (!_versionsSinceCommit.TryGetValue(committed.Id, out var versions))
        {
            int i = content.AsSpan().CommonPrefixLength(committed.Bytes);
            if (i < content.Length)
            {
                throw new ModelDivergenceException(Inv($"after crash {name}, unchanged since its last commit, differs at byte {i} (block {i / BlockSize}): 0x{content[i]:X2}, committed 0x{committed.Bytes[i]:X2}"));
            }
            return;
        }
        for (int i = 0; i < content.Length; i++)
        {
            byte b = content[i];
            // A byte past a version's end reads as zero there: the file was shorter, so growing it again shows a hole.
            if (b == committed.Bytes[i] || versions.Any(v => (i < v.Length ? v[i] : (byte)0) == b))
            {
                continue;
            }
            string given = b == 0
                ? "a zero where neither the commit nor any later version had one (data the commit references did not reach the disk: an ordered-mode violation)"
                : "a byte it was never given there";
            throw new ModelDivergenceException(Inv($"after crash {name} shows 0x{b:X2} at offset {i} (block {i / BlockSize}), {given} (committed 0x{committed.Bytes[i]:X2}, {versions.Count} version(s) since)"));
        }
    }
}
