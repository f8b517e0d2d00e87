using System.Security.Cryptography;
using WinReflink.Core.Interop;
using WinReflink.Core.Metadata;
using WinReflink.Core.Namespace;

namespace WinReflink.Core.Volume;

/// <summary>Creates volume folders and checks the settings of existing ones.</summary>
internal static class VolumeFormatter
{
    public const int MinBlockSize = 4096;
    public const int MaxBlockSize = 65536;
    public const long MinBlocks = 64;
    /// <summary>The largest volume, 1 EiB: far past any host file, and small enough that byte offsets never overflow.</summary>
    public const long MaxCapacityBytes = 1L << 60;

    public static void Format(VolumeLayout layout, FormatOptions options)
    {
        int bs = options.BlockSize;
        if (bs < MinBlockSize || bs > MaxBlockSize || (bs & (bs - 1)) != 0)
        {
            throw new VolumeException($"block size {bs} is not supported: use a power of two from {MinBlockSize} to {MaxBlockSize}");
        }
        long blocks = options.SizeBytes / bs;
        if (options.SizeBytes <= 0 || blocks < MinBlocks)
        {
            throw new VolumeException($"volume size {options.SizeBytes} bytes is too small: at least {MinBlocks * bs} bytes ({MinBlocks} blocks of {bs})");
        }
        if (options.SizeBytes > MaxCapacityBytes)
        {
            throw new VolumeException($"volume size {options.SizeBytes} bytes is too large: at most {MaxCapacityBytes} bytes");
        }
        if (options.Label.Length > 32)
        {
            throw new VolumeException("the volume label is longer than 32 characters");
        }
        if (File.Exists(layout.Folder))
        {
            throw new VolumeException($"{layout.Folder} is a file, not a folder");
        }
        if (File.Exists(layout.MetaDb))
        {
            throw new VolumeException($"{layout.Folder} is already a WinReflink volume");
        }
        if (Directory.Exists(layout.Folder) && Directory.EnumerateFileSystemEntries(layout.Folder).Any())
        {
            throw new VolumeException($"{layout.Folder} is not empty: format needs a new or empty folder");
        }
        Directory.CreateDirectory(layout.Folder);
        using (var data = new FileStream(layout.DataImage, System.IO.FileMode.CreateNew, FileAccess.ReadWrite))
        {
            SparseFile.Prepare(data, layout.DataImage);
            data.SetLength(blocks * bs);
            data.Flush(flushToDisk: true);
        }
        var settings = new VolumeSettings
        {
            BlockSize = bs,
            CapacityBlocks = blocks,
            CaseSensitive = options.CaseSensitive,
            Folding = options.CaseSensitive ? CaseFolding.Identity : CaseFolding.Runtime,
            Label = options.Label,
            CopyRecognition = options.CopyRecognition,
            SerialNumber = options.SerialNumber ?? (uint)RandomNumberGenerator.GetInt32(1, int.MaxValue),
            NextIno = FileSystem.RootIno + 1,
            NextGeneration = 1,
            DirectoryCount = 1,
        };
        long now = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks;
        bool windows = OperatingSystem.IsWindows();
        byte[]? rootDescriptor = windows ? WindowsRootOwner.Descriptor() : null;
        var root = new Inode(FileSystem.RootIno, PosixMode.Directory | 0x1ED)
        {
            Nlink = 2,
            Uid = windows ? WindowsRootOwner.LinuxUid : Libc.GetEffectiveUid(),
            Gid = windows ? WindowsRootOwner.LinuxGid : Libc.GetEffectiveGid(),
            SecurityId = rootDescriptor == null ? 0 : 1,
            AccessTime = now,
            ModifyTime = now,
            ChangeTime = now,
            BirthTime = now,
            Parent = FileSystem.RootIno,
        };
        using var store = MetadataStore.Create(layout.MetaDb);
        store.WriteNewVolume(settings, root, rootDescriptor);
    }

    public static void CheckSettings(VolumeLayout layout, VolumeSettings s)
    {
        // The capacity bound keeps capacity × block size (the size of data.img) from overflowing.
        if (s.BlockSize < MinBlockSize || s.BlockSize > MaxBlockSize || (s.BlockSize & (s.BlockSize - 1)) != 0
            || s.CapacityBlocks < MinBlocks || s.CapacityBlocks > MaxCapacityBytes / s.BlockSize)
        {
            throw new VolumeException($"{layout.MetaDb} has impossible settings (block size {s.BlockSize}, {s.CapacityBlocks} blocks): corrupt");
        }
    }
}
