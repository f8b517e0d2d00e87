using System.CommandLine;
using System.Globalization;
using System.Text.Json.Serialization;
using WinReflink.Cli.Infrastructure;
using WinReflink.Core;
using WinReflink.Core.Errors;

namespace WinReflink.Cli.Commands;

/// <summary>`winreflink ls VOLUME:/path`: a directory's entries (or one file), sorted by name.</summary>
internal static class LsCommand
{
    /// <summary>One entry of the --json output (docs/cli.md).</summary>
    internal sealed record EntryJson(
        string Name,
        long Ino,
        string Type,
        string Mode,
        string Permissions,
        uint Links,
        uint Uid,
        uint Gid,
        long Size,
        long AllocatedBytes,
        string Mtime,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Target);

    internal sealed record ListingJson(string Path, bool Directory, IReadOnlyList<EntryJson> Entries);

    private sealed record Entry(string Name, InodeAttributes Attributes, string? Target);

    public static Command Create()
    {
        var target = GlobalOptions.VolumeFile("VOLUME:/path", "A directory to list, or one file (VOLUME: alone is the root)");
        var json = GlobalOptions.Json("the entries");
        var command = new Command("ls", "List a directory of a volume (or one file): mode, links, size, modification time, name")
        {
            target, json,
        };
        command.SetAction(parse => CommandRunner.Run(parse, context =>
        {
            var path = parse.GetRequiredValue(target);
            using var fs = context.OpenVolume(path.Volume, readOnly: true);
            var attributes = VolumeFiles.Resolve(fs, path);
            var entries = attributes.IsDirectory ? ReadDirectory(fs, attributes.Ino, path) : [Describe(fs, path.Name, attributes)];
            if (parse.GetValue(json))
            {
                JsonOutput.Write(context.Out, new ListingJson(path.InnerPath, attributes.IsDirectory, [.. entries.Select(ToJson)]));
                return ExitCodes.Success;
            }
            WriteTable(context.Out, entries);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static List<Entry> ReadDirectory(FileSystem fs, long ino, VolumePath path)
    {
        var names = new List<DirectoryEntry>();
        VolumeFiles.Ok(fs.ReadDirectory(ino, 0, entry =>
        {
            names.Add(entry);
            return true;
        }), path);
        var entries = new List<Entry>(names.Count);
        foreach (var entry in names)
        {
            var e = fs.GetAttributes(entry.Ino, out var attributes);
            if (e != FsError.Ok)
            {
                throw new CliException($"{path}: entry '{entry.Name}' (inode {entry.Ino}): {e.Describe()}");
            }
            entries.Add(Describe(fs, entry.Name, attributes));
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return entries;
    }

    private static Entry Describe(FileSystem fs, string name, InodeAttributes attributes)
    {
        string? target = null;
        if (PosixMode.IsSymlink(attributes.Mode) && fs.ReadLink(attributes.Ino, out string link) == FsError.Ok)
        {
            target = link;
        }
        return new Entry(name, attributes, target);
    }

    private static EntryJson ToJson(Entry e)
    {
        var a = e.Attributes;
        return new EntryJson(e.Name, a.Ino, Display.TypeName(a.Mode), Display.ModeString(a.Mode), Display.Permissions(a.Mode),
            a.Nlink, a.Uid, a.Gid, a.Size, a.AllocatedBytes, Display.Iso(a.ModifyTime), e.Target);
    }

    private static void WriteTable(TextWriter output, List<Entry> entries)
    {
        int linkWidth = entries.Count == 0 ? 1 : entries.Max(e => Digits(e.Attributes.Nlink));
        int sizeWidth = entries.Count == 0 ? 1 : entries.Max(e => Digits(e.Attributes.Size));
        foreach (var e in entries)
        {
            var a = e.Attributes;
            string links = a.Nlink.ToString(CultureInfo.InvariantCulture).PadLeft(linkWidth);
            string size = a.Size.ToString(CultureInfo.InvariantCulture).PadLeft(sizeWidth);
            string name = e.Target == null ? e.Name : $"{e.Name} -> {e.Target}";
            output.WriteLine($"{Display.ModeString(a.Mode)} {links} {size} {Display.LocalTime(a.ModifyTime)} {name}");
        }
    }

    private static int Digits(long n) => n.ToString(CultureInfo.InvariantCulture).Length;
}
