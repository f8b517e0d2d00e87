using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using WinReflink.Cli.Infrastructure;
using WinReflink.Client;

namespace WinReflink.Cli.Commands;

/// <summary>`winreflink stats MOUNTPOINT`: the ExtentCache and the metadata cache of a mounted volume, through the control channel.</summary>
internal static class StatsCommand
{
    internal sealed record StatsJson(long CachedBytes, long SavedBytes, double HitRate, long DirtyBytes, long LimitBytes, long DirtyLimitBytes, long Hits, long Misses, long Entries, long MaxOwnersPerEntry,
        long IndexedBlocks, long IndexBytes, long RecognizedBlocks, long RecognizedBytes,
        long ResidentInodes, long MetadataBytes, long MetadataBudgetBytes, long DroppedInodes, long ParkedReferences);

    public static Command Create()
    {
        var mountPoint = new Argument<string>("MOUNTPOINT") { Description = "A mounted volume (or any path on it)" };
        var json = GlobalOptions.Json("the cache figures");
        var command = new Command("stats", "Show the caches of a mounted volume: bytes cached, bytes sharing saves, hit rate, dirty bytes, writes recognized as copies, inodes in memory")
        {
            mountPoint, json,
        };
        command.SetAction(parse => CommandRunner.Run(parse, context =>
        {
            string path = parse.GetRequiredValue(mountPoint);
            MountedPaths.RequireMount(path);
            using var doc = JsonDocument.Parse(MountClient.InfoJson(path));
            var c = doc.RootElement.GetProperty("cache");
            var m = doc.RootElement.GetProperty("metadata");
            long L(string name) => c.GetProperty(name).GetInt64();
            long M(string name) => m.GetProperty(name).GetInt64();
            var s = new StatsJson(L("cachedBytes"), L("savedBytes"), c.GetProperty("hitRate").GetDouble(), L("dirtyBytes"), L("limitBytes"),
                L("dirtyLimitBytes"), L("hits"), L("misses"), L("entries"), L("maxOwnersPerEntry"),
                L("indexedBlocks"), L("indexBytes"), L("recognizedBlocks"), L("recognizedBytes"),
                M("residentInodes"), M("estimatedBytes"), M("budgetBytes"), M("droppedInodes"), M("parkedReferences"));
            if (parse.GetValue(json))
            {
                JsonOutput.Write(context.Out, s);
                return ExitCodes.Success;
            }
            var o = context.Out;
            o.WriteLine($"Cached       {ByteSize.FormatExact(s.CachedBytes)} of {ByteSize.Format(s.LimitBytes)}");
            o.WriteLine($"Saved        {ByteSize.FormatExact(s.SavedBytes)}   what per-file caches would have held again for shared data");
            o.WriteLine($"Hit rate     {s.HitRate.ToString("P1", CultureInfo.InvariantCulture)} ({s.Hits} hits, {s.Misses} misses, in blocks)");
            o.WriteLine($"Dirty        {ByteSize.FormatExact(s.DirtyBytes)} (write-back starts above {ByteSize.Format(s.DirtyLimitBytes)})");
            o.WriteLine($"Windows      {s.Entries}, at most {s.MaxOwnersPerEntry} owners on one");
            o.WriteLine($"Recognized   {ByteSize.FormatExact(s.RecognizedBytes)} of writes shared cached blocks instead of writing ({s.RecognizedBlocks} blocks)");
            o.WriteLine($"Index        {s.IndexedBlocks} clean blocks by content, {ByteSize.Format(s.IndexBytes)}");
            o.WriteLine($"Metadata     {s.ResidentInodes} inodes in memory, about {ByteSize.Format(s.MetadataBytes)} of {ByteSize.Format(s.MetadataBudgetBytes)}; {s.DroppedInodes} dropped since open, {s.ParkedReferences} of them still referenced by the kernel");
            return ExitCodes.Success;
        }));
        return command;
    }
}
