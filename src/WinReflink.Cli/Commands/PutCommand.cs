using System.Buffers;
using System.CommandLine;
using WinReflink.Cli.Infrastructure;
using WinReflink.Core;

namespace WinReflink.Cli.Commands;

/// <summary>`winreflink put HOSTFILE VOLUME:/path`: copies a host file into a volume.</summary>
internal static class PutCommand
{
    public const int ChunkSize = 1 << 20;

    public static Command Create()
    {
        var host = new Argument<string>("HOSTFILE") { Description = "The host file to copy in ('-' reads stdin)" };
        var target = GlobalOptions.VolumeFile("VOLUME:/path", "Where it goes; an existing file is overwritten, an existing directory receives it under its own name. The parent must exist.");
        var progress = GlobalOptions.Progress();
        var command = new Command("put", "Copy a host file into a volume (all-zero 1 MiB chunks stay holes)")
        {
            host, target, progress,
        };
        command.SetAction(parse => CommandRunner.Run(parse, context =>
        {
            string hostPath = parse.GetRequiredValue(host);
            var path = parse.GetRequiredValue(target);
            using var input = OpenHost(hostPath);
            uint mode = HostMode(hostPath);
            using var fs = context.OpenVolume(path.Volume);
            var destination = VolumeFiles.CopyDestination(fs, path, hostPath == "-" ? "stdin" : Path.GetFileName(Path.GetFullPath(hostPath)));
            long ino = VolumeFiles.CreateOrTruncate(fs, destination, mode);
            long total = input.CanSeek ? input.Length : -1;
            var reporter = new ProgressReporter(context, "put " + destination.Text, total, parse.GetValue(progress));
            long copied = Copy(fs, ino, destination, input, reporter);
            reporter.Finish(copied);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Stream OpenHost(string hostPath)
    {
        if (hostPath == "-")
        {
            return Console.OpenStandardInput(ChunkSize);
        }
        if (Directory.Exists(hostPath))
        {
            throw new CliException($"{hostPath}: is a directory (put copies one file)");
        }
        try
        {
            return new FileStream(hostPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read {hostPath}: {(e is FileNotFoundException ? "no such file" : e.Message)}", e);
        }
    }

    /// <summary>New files get the host file's permission bits, as cp gives them (umask already applied there).</summary>
    private static uint HostMode(string hostPath)
    {
        if (hostPath == "-" || OperatingSystem.IsWindows())
        {
            return VolumeFiles.DefaultFileMode;
        }
        return (uint)File.GetUnixFileMode(hostPath) & PosixMode.PermissionMask;
    }

    /// <summary>Streams the host bytes in 1 MiB chunks, leaving all-zero chunks as holes; returns the bytes copied.</summary>
    private static long Copy(FileSystem fs, long ino, VolumePath path, Stream input, ProgressReporter reporter)
    {
        VolumeFiles.Ok(fs.OpenInode(ino), path);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            long offset = 0;
            while (true)
            {
                int filled = Fill(input, buffer.AsSpan(0, ChunkSize));
                if (filled == 0)
                {
                    break;
                }
                var chunk = buffer.AsSpan(0, filled);
                if (chunk.ContainsAnyExcept((byte)0))
                {
                    VolumeFiles.Ok(fs.Write(ino, offset, chunk, out _), path);
                }
                offset += filled;
                reporter.Report(offset);
            }
            // A trailing hole has no write to extend the size.
            VolumeFiles.Ok(fs.SetAttributes(ino, new SetAttributesRequest(SetAttributeFields.Size, Size: offset), out _), path);
            return offset;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            fs.Release(ino);
        }
    }

    private static int Fill(Stream input, Span<byte> buffer)
    {
        int filled = 0;
        while (filled < buffer.Length)
        {
            int n = input.Read(buffer[filled..]);
            if (n == 0)
            {
                break;
            }
            filled += n;
        }
        return filled;
    }
}
