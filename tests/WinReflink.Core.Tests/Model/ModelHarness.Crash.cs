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
    private ModelVolume _committed = new(caseSensitive: false);

    private void Committed()
    {
        if (_image == null)
        {
            return;
        }
        _committed = _model.Clone();
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
        CountMountFigures();
        _fs.SimulateCrash();
        _image.Crash(new Random(crashSeed), policy);
        _fs = OpenVolume();
        RequireClean("after crash and reopen");
        // Metadata rolls back exactly to the last commit, minus the orphans the mount reclaims; the
        // namespace, inode numbers, sizes and xattrs are compared by the step's verification below.
        var model = _committed.Clone();
        foreach (var orphan in model.ForgetHandles())
        {
            Expect(_fs.GetAttributes(orphan.Ino, out _), FsError.NotFound, Inv($"getattr of orphan f{orphan.Id} (ino {orphan.Ino}) after crash"));
        }
        foreach (var f in model.Files)
        {
            Expect(_fs.GetAttributes(f.Ino, out var attr), FsError.Ok, Inv($"getattr of f{f.Id} (ino {f.Ino}) after crash"));
            if (attr.Size != f.Size)
            {
                throw new ModelDivergenceException(Inv($"after crash f{f.Id} (ino {f.Ino}) has {attr.Size} bytes; the last commit had {f.Size}"));
            }
            var content = new byte[attr.Size];
            Expect(_fs.Read(attr.Ino, 0, content, out int read), FsError.Ok, Inv($"read f{f.Id} after crash"));
            if (read != content.Length)
            {
                throw new ModelDivergenceException(Inv($"after crash reading f{f.Id} returned {read} of {content.Length} bytes"));
            }
            CheckSurvivor(Inv($"f{f.Id}"), f, content);
            f.Reset(content);
        }
        _model = model;
        Committed();
        AfterStep();
    }

    private void CheckSurvivor(string name, ModelFile committedFile, byte[] content)
    {
        var committed = committedFile.Snapshot();
        if (!_versionsSinceCommit.TryGetValue(committedFile.Id, out var versions))
        {
            int i = content.AsSpan().CommonPrefixLength(committed);
            if (i < content.Length)
            {
                throw new ModelDivergenceException(Inv($"after crash {name}, unchanged since its last commit, differs at byte {i} (block {i / BlockSize}): 0x{content[i]:X2}, committed 0x{committed[i]:X2}"));
            }
            return;
        }
        for (int i = 0; i < content.Length; i++)
        {
            byte b = content[i];
            // A byte past a version's end reads as zero there: the file was shorter, so growing it again shows a hole.
            if (b == committed[i] || versions.Any(v => (i < v.Length ? v[i] : (byte)0) == b))
            {
                continue;
            }
            string given = b == 0
                ? "a zero where neither the commit nor any later version had one (data the commit references did not reach the disk: an ordered-mode violation)"
                : "a byte it was never given there";
            throw new ModelDivergenceException(Inv($"after crash {name} shows 0x{b:X2} at offset {i} (block {i / BlockSize}), {given} (committed 0x{committed[i]:X2}, {versions.Count} version(s) since)"));
        }
    }
}
