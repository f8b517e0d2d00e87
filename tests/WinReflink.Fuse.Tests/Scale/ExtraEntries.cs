using System.Globalization;
using WinReflink.Core;
using WinReflink.Tests.Engine;
using WinReflink.Tests.Scale;

namespace WinReflink.Fuse.Tests.Scale;

/// <summary>
/// What the scale tests add to issue 11's tree (which is one level deep and has only regular files):
/// <c>deep/</c>, a tree <see cref="Depth"/> levels below it with <see cref="FanOut"/> subdirectories
/// per directory and <see cref="FilesPerDirectory"/> files in each directory; and <c>links/</c>, with
/// <see cref="Links"/> symlinks and as many hard links to files spread over the tree. The nested files
/// are numbered after the tree's (N, N+1, ...) and hold <see cref="ScaleTreeShape.Content"/> for
/// their number, so a test recomputes them as it does the tree's.
/// </summary>
internal sealed class ExtraEntries
{
    public const string Deep = "deep";
    public const string LinksDirectory = "links";
    public const int Depth = 4;
    public const int FanOut = 2;
    public const int FilesPerDirectory = 8;
    public const int Links = 16;
    private const uint FileMode = 0x81A4;
    private const uint DirectoryMode = 0x41ED;
    private const uint SymlinkMode = 0xA1FF;

    private readonly ScaleTreeShape _shape;

    public ExtraEntries(ScaleTreeShape shape)
    {
        _shape = shape;
        NestedDirectories = Nested(Deep, 0).ToList();
    }

    /// <summary><c>deep</c> and every directory under it, parents before children, with '/' separators.</summary>
    public IReadOnlyList<string> NestedDirectories { get; }

    public int NestedFiles => NestedDirectories.Count * FilesPerDirectory;

    /// <summary>Nested file <paramref name="k"/> (0 to <see cref="NestedFiles"/> - 1): its path, and its number in the content scheme.</summary>
    public (string Path, long Number) NestedFile(int k) =>
        (NestedDirectories[k / FilesPerDirectory] + "/" + "e" + (k % FilesPerDirectory).ToString(CultureInfo.InvariantCulture) + ".dat", _shape.Files + k);

    /// <summary>Link <paramref name="k"/>'s target file in the tree: spread over it, the big directory included.</summary>
    public long LinkTarget(int k) => k * (_shape.Files / Links) + 7;

    /// <summary>Symlink <paramref name="k"/>'s name in <see cref="LinksDirectory"/>; <see cref="HardLinkName"/> likewise.</summary>
    public static string SymlinkName(int k) => "s" + k.ToString("D2", CultureInfo.InvariantCulture) + ".lnk";

    public static string HardLinkName(int k) => "h" + k.ToString("D2", CultureInfo.InvariantCulture) + ".dat";

    /// <summary>Symlink <paramref name="k"/>'s target, relative to <see cref="LinksDirectory"/> as `ln -s` users write them.</summary>
    public string SymlinkTarget(int k) => "../" + _shape.RelativePath(LinkTarget(k));

    /// <summary>Regular-file names these add (find counts a hard link's every name).</summary>
    public long Files => NestedFiles + Links;

    public long Directories => NestedDirectories.Count + 1;

    /// <summary>Adds every entry through the engine; for <see cref="ScaleVolumeBuilder.Build"/>'s addMore, after the tree exists.</summary>
    public void AddTo(FileSystem fs)
    {
        var inodes = new Dictionary<string, long>();
        foreach (string directory in NestedDirectories)
        {
            int slash = directory.LastIndexOf('/');
            long parent = slash < 0 ? FileSystem.RootIno : inodes[directory[..slash]];
            EngineCall.Check(fs.Mkdir(parent, directory[(slash + 1)..], new CreateRequest(DirectoryMode, 0, 0), out var made), "mkdir " + directory);
            inodes[directory] = made.Ino;
        }
        for (int k = 0; k < NestedFiles; k++)
        {
            var (path, number) = NestedFile(k);
            int slash = path.LastIndexOf('/');
            EngineCall.Check(fs.Create(inodes[path[..slash]], path[(slash + 1)..], new CreateRequest(FileMode, 0, 0), out var file), "create " + path);
            EngineCall.Check(fs.Write(file.Ino, 0, ScaleTreeShape.Content(number), out _), "write " + path);
        }
        EngineCall.Check(fs.Mkdir(FileSystem.RootIno, LinksDirectory, new CreateRequest(DirectoryMode, 0, 0), out var links), "mkdir links");
        for (int k = 0; k < Links; k++)
        {
            EngineCall.Check(fs.Symlink(links.Ino, SymlinkName(k), SymlinkTarget(k), new CreateRequest(SymlinkMode, 0, 0), out _), "symlink");
            EngineCall.Check(fs.Resolve("/" + _shape.RelativePath(LinkTarget(k)), out var target), "resolve");
            EngineCall.Check(fs.Link(target.Ino, links.Ino, HardLinkName(k), out _), "link");
        }
    }

    private static IEnumerable<string> Nested(string directory, int level)
    {
        yield return directory;
        if (level == Depth)
        {
            yield break;
        }
        for (int c = 0; c < FanOut; c++)
        {
            foreach (string below in Nested(directory + "/n" + c.ToString(CultureInfo.InvariantCulture), level + 1))
            {
                yield return below;
            }
        }
    }
}
