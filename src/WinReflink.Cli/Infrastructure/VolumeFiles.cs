using WinReflink.Core;
using WinReflink.Core.Errors;

namespace WinReflink.Cli.Infrastructure;

/// <summary>
/// Path-level helpers over the engine's inode API, turning every <see cref="FsError"/> into a
/// <see cref="CliException"/> that names the path the user typed.
/// </summary>
internal static class VolumeFiles
{
    public const uint DefaultFileMode = 0x1A4; // 0644
    public const uint DefaultDirectoryMode = 0x1ED; // 0755

    public static CliException Error(VolumePath path, FsError error) => new($"{path}: {error.Describe()}");

    public static void Ok(FsError error, VolumePath path)
    {
        if (error != FsError.Ok)
        {
            throw Error(path, error);
        }
    }

    /// <summary>The attributes of an existing file or directory.</summary>
    public static InodeAttributes Resolve(FileSystem fs, VolumePath path)
    {
        var e = fs.Resolve(path.InnerPath, out var attributes);
        if (e == FsError.NotDirectory)
        {
            throw new CliException($"{path}: a component of the path is not a directory");
        }
        Ok(e, path);
        if (path.TrailingSeparator && !attributes.IsDirectory)
        {
            throw Error(path, FsError.NotDirectory);
        }
        return attributes;
    }

    /// <summary>The inode of the directory that holds (or will hold) <paramref name="path"/>; it must exist.</summary>
    public static long ResolveParent(FileSystem fs, VolumePath path)
    {
        if (path.IsRoot)
        {
            throw new CliException($"{path}: is the root directory");
        }
        var e = fs.Resolve(path.ParentPath, out var parent);
        if (e == FsError.NotFound)
        {
            throw new CliException($"{path}: parent directory {path.ParentPath} does not exist");
        }
        if ((e == FsError.Ok && !parent.IsDirectory) || e == FsError.NotDirectory)
        {
            throw new CliException($"{path}: {path.ParentPath} is not a directory");
        }
        Ok(e, path);
        return parent.Ino;
    }

    /// <summary>Looks a name up; NotFound comes back as false, other errors throw.</summary>
    public static bool TryLookup(FileSystem fs, long parent, VolumePath path, out InodeAttributes attributes)
    {
        var e = fs.Lookup(parent, path.Name, out attributes);
        if (e == FsError.NotFound)
        {
            return false;
        }
        Ok(e, path);
        return true;
    }

    /// <summary>
    /// Where a copy named <paramref name="sourceName"/> lands when its destination is <paramref name="target"/>:
    /// inside it when it is an existing directory (or ends in a separator), else the path itself.
    /// </summary>
    public static VolumePath CopyDestination(FileSystem fs, VolumePath target, string sourceName)
    {
        if (target.IsRoot || target.TrailingSeparator)
        {
            Resolve(fs, target);
            return target.Child(sourceName);
        }
        long parent = ResolveParent(fs, target);
        if (TryLookup(fs, parent, target, out var existing) && existing.IsDirectory)
        {
            return target.Child(sourceName);
        }
        return target;
    }

    /// <summary>
    /// Opens the regular file at <paramref name="path"/> for a whole-file copy: an existing file is
    /// truncated to zero, a missing one is created with <paramref name="mode"/> (its parent must exist).
    /// </summary>
    public static long CreateOrTruncate(FileSystem fs, VolumePath path, uint mode)
    {
        long parent = ResolveParent(fs, path);
        if (TryLookup(fs, parent, path, out var existing))
        {
            if (existing.IsDirectory)
            {
                throw Error(path, FsError.IsDirectory);
            }
            if (!existing.IsRegular)
            {
                throw new CliException($"{path}: not a regular file");
            }
            Ok(fs.SetAttributes(existing.Ino, new SetAttributesRequest(SetAttributeFields.Size, Size: 0), out _), path);
            return existing.Ino;
        }
        var request = new CreateRequest(PosixMode.Regular | (mode & PosixMode.PermissionMask), HostIdentity.Uid, HostIdentity.Gid);
        Ok(fs.Create(parent, path.Name, request, out var created), path);
        return created.Ino;
    }

    /// <summary>The regular file at <paramref name="path"/>, for reading.</summary>
    public static InodeAttributes ResolveRegular(FileSystem fs, VolumePath path)
    {
        var attributes = Resolve(fs, path);
        if (attributes.IsDirectory)
        {
            throw Error(path, FsError.IsDirectory);
        }
        if (!attributes.IsRegular)
        {
            throw new CliException($"{path}: not a regular file");
        }
        return attributes;
    }
}
