using System.Buffers;
using System.CommandLine;
using System.CommandLine.Parsing;
using WinReflink.Cli.Infrastructure;
using WinReflink.Core;
using WinReflink.Core.Errors;

namespace WinReflink.Cli.Commands;

/// <summary>
/// `winreflink cp [--reflink[=WHEN]] VOLUME:/a VOLUME:/b`: a whole-file copy inside a volume, which
/// clones (shares every extent, copies no data) unless --reflink=never asks for a byte copy.
/// </summary>
internal static class CpCommand
{
    internal enum ReflinkMode
    {
        /// <summary>Clone or fail (the default, as the product's point is cloning).</summary>
        Always,
        /// <summary>Clone when both files are on one volume, else copy bytes.</summary>
        Auto,
        /// <summary>Copy bytes: the destination gets its own blocks.</summary>
        Never,
    }

    public static Command Create()
    {
        var reflink = new Option<ReflinkMode>("--reflink")
        {
            Description = "always (default, also --reflink alone): clone or fail; auto: clone, or copy bytes across volumes; never: copy bytes. Give WHEN as --reflink=WHEN",
            HelpName = "WHEN",
            CustomParser = ParseReflink,
        };
        var source = GlobalOptions.VolumeFile("SOURCE", "VOLUME:/path of the file to copy");
        var destination = GlobalOptions.VolumeFile("DEST", "VOLUME:/path of the copy: created, or truncated if it exists; an existing directory receives it under the source's name");
        var command = new Command("cp", "Copy a file inside a volume by cloning its extents (a reflink): instant, and no new space until one side is written")
        {
            reflink, source, destination,
        };
        command.SetAction(parse => CommandRunner.Run(parse, context =>
        {
            var mode = parse.GetValue(reflink);
            var from = parse.GetRequiredValue(source);
            var to = parse.GetRequiredValue(destination);
            bool sameVolume = SameFolder(from.Volume, to.Volume);
            if (!sameVolume && mode == ReflinkMode.Always)
            {
                throw new CliException($"cannot clone {from} to {to}: {FsError.CrossDevice.Describe()} (use --reflink=auto or --reflink=never to copy bytes)");
            }
            // --reflink=never promises blocks of the copy's own, as GNU cp's does: no copy recognition either.
            bool? recognition = mode == ReflinkMode.Never ? false : null;
            using var src = context.OpenVolume(from.Volume, readOnly: !sameVolume, copyRecognition: recognition);
            using var dstVolume = sameVolume ? null : context.OpenVolume(to.Volume, copyRecognition: recognition);
            var dst = dstVolume ?? src;
            var file = VolumeFiles.ResolveRegular(src, from);
            var target = VolumeFiles.CopyDestination(dst, to, from.Name);
            if (sameVolume && dst.Resolve(target.InnerPath, out var existing) == FsError.Ok && existing.Ino == file.Ino)
            {
                throw new CliException($"{from} and {target} are the same file");
            }
            long ino = VolumeFiles.CreateOrTruncate(dst, target, file.Mode);
            if (sameVolume && mode != ReflinkMode.Never)
            {
                Clone(src, file, from, ino, target);
            }
            else
            {
                CopyBytes(src, file, from, dst, ino, target);
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>
    /// Coreutils gives --reflink's value only as --reflink=WHEN, so "cp --reflink A B" never takes A as
    /// the mode. System.CommandLine would, so a bare --reflink is rewritten to --reflink=always before parsing.
    /// </summary>
    public static string[] ExpandBareReflink(string[] args)
    {
        int command = Array.IndexOf(args, "cp");
        int end = Array.IndexOf(args, "--");
        return [.. args.Select((a, i) => a == "--reflink" && command >= 0 && i > command && (end < 0 || i < end) ? "--reflink=always" : a)];
    }

    private static ReflinkMode ParseReflink(ArgumentResult result)
    {
        string value = result.Tokens[0].Value;
        switch (value)
        {
            case "always":
                return ReflinkMode.Always;
            case "auto":
                return ReflinkMode.Auto;
            case "never":
                return ReflinkMode.Never;
            default:
                result.AddError($"--reflink: invalid value '{value}' (use always, auto or never)");
                return ReflinkMode.Always;
        }
    }

    private static bool SameFolder(string a, string b) => string.Equals(
        Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)),
        Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)),
        OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private static void Clone(FileSystem fs, InodeAttributes source, VolumePath from, long dstIno, VolumePath to)
    {
        VolumeFiles.Ok(fs.CloneRange(source.Ino, 0, dstIno, 0, source.Size, out long cloned), to);
        if (cloned < source.Size)
        {
            throw new CliException($"{to}: {FsError.NoSpace.Describe()} after cloning {cloned} of {source.Size} bytes of {from}");
        }
    }

    /// <summary>A byte copy of the source's data regions; holes stay holes.</summary>
    private static void CopyBytes(FileSystem src, InodeAttributes source, VolumePath from, FileSystem dst, long dstIno, VolumePath to)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(PutCommand.ChunkSize);
        try
        {
            long offset = 0;
            while (offset < source.Size)
            {
                var e = src.Seek(source.Ino, offset, SeekWhence.Data, out long dataStart);
                if (e == FsError.NoData)
                {
                    break;
                }
                VolumeFiles.Ok(e, from);
                VolumeFiles.Ok(src.Seek(source.Ino, dataStart, SeekWhence.Hole, out long dataEnd), from);
                for (offset = dataStart; offset < dataEnd;)
                {
                    int want = (int)Math.Min(PutCommand.ChunkSize, dataEnd - offset);
                    VolumeFiles.Ok(src.Read(source.Ino, offset, buffer.AsSpan(0, want), out int read), from);
                    if (read == 0)
                    {
                        throw new CliException($"{from}: the file ended at {offset} bytes while copying");
                    }
                    VolumeFiles.Ok(dst.Write(dstIno, offset, buffer.AsSpan(0, read), out _), to);
                    offset += read;
                }
            }
            VolumeFiles.Ok(dst.SetAttributes(dstIno, new SetAttributesRequest(SetAttributeFields.Size, Size: source.Size), out _), to);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
