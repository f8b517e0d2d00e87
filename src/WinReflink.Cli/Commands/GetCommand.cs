using System.Buffers;
using System.CommandLine;
using WinReflink.Cli.Infrastructure;
using WinReflink.Core;
using WinReflink.Core.Errors;

namespace WinReflink.Cli.Commands;

/// <summary>`winreflink get VOLUME:/path HOSTFILE`: copies a file out of a volume, keeping its holes.</summary>
internal static class GetCommand
{
    public static Command Create()
    {
        var source = GlobalOptions.VolumeFile("VOLUME:/path", "The file to copy out");
        var host = new Argument<string>("HOSTFILE") { Description = "Where it goes on the host: a file (overwritten), a directory (receives it under its own name), or '-' for stdout" };
        var progress = GlobalOptions.Progress();
        var command = new Command("get", "Copy a file out of a volume to the host (holes stay holes where the host file can seek)")
        {
            source, host, progress,
        };
        command.SetAction(parse => CommandRunner.Run(parse, context =>
        {
            var path = parse.GetRequiredValue(source);
            string hostPath = parse.GetRequiredValue(host);
            using var fs = context.OpenVolume(path.Volume, readOnly: true);
            var file = VolumeFiles.ResolveRegular(fs, path);
            if (hostPath != "-" && Directory.Exists(hostPath))
            {
                hostPath = Path.Combine(hostPath, path.Name);
            }
            using var output = OpenHost(hostPath);
            var reporter = new ProgressReporter(context, "get " + path.Text, file.Size, parse.GetValue(progress));
            Copy(fs, file, path, output, reporter);
            reporter.Finish(file.Size);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Stream OpenHost(string hostPath)
    {
        if (hostPath == "-")
        {
            return Console.OpenStandardOutput(PutCommand.ChunkSize);
        }
        try
        {
            return new FileStream(hostPath, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot write {hostPath}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Copies the data regions the engine's SEEK_DATA/SEEK_HOLE report; holes are skipped on a seekable
    /// output (which stays sparse) and written as zeros on a pipe.
    /// </summary>
    private static void Copy(FileSystem fs, InodeAttributes file, VolumePath path, Stream output, ProgressReporter reporter)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(PutCommand.ChunkSize);
        try
        {
            long size = file.Size;
            long offset = 0;
            while (offset < size)
            {
                var e = fs.Seek(file.Ino, offset, SeekWhence.Data, out long dataStart);
                if (e == FsError.NoData)
                {
                    dataStart = size;
                }
                else
                {
                    VolumeFiles.Ok(e, path);
                }
                long dataEnd = size;
                if (dataStart < size)
                {
                    VolumeFiles.Ok(fs.Seek(file.Ino, dataStart, SeekWhence.Hole, out dataEnd), path);
                }
                SkipHole(output, offset, dataStart, buffer);
                for (offset = dataStart; offset < dataEnd;)
                {
                    int want = (int)Math.Min(PutCommand.ChunkSize, dataEnd - offset);
                    VolumeFiles.Ok(fs.Read(file.Ino, offset, buffer.AsSpan(0, want), out int read), path);
                    if (read == 0)
                    {
                        throw new CliException($"{path}: the file ended at {offset} bytes while copying");
                    }
                    output.Write(buffer, 0, read);
                    offset += read;
                    reporter.Report(offset);
                }
            }
            if (output.CanSeek && output.Length < size)
            {
                // A trailing hole: writing the last byte sets the size, where SetLength (ftruncate)
                // would fail on a seekable device such as /dev/null.
                output.Seek(size - 1, SeekOrigin.Begin);
                output.WriteByte(0);
            }
            output.Flush();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void SkipHole(Stream output, long from, long to, byte[] buffer)
    {
        if (to <= from)
        {
            return;
        }
        if (output.CanSeek)
        {
            output.Seek(to, SeekOrigin.Begin);
            return;
        }
        Array.Clear(buffer);
        for (long left = to - from; left > 0;)
        {
            int n = (int)Math.Min(left, buffer.Length);
            output.Write(buffer, 0, n);
            left -= n;
        }
    }
}
