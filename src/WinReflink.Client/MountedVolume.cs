namespace WinReflink.Client;

/// <summary>
/// One mounted WinReflink volume: where it is mounted, and the volume folder it serves when the system
/// says so (Linux's mount table does; a Windows drive letter does not, so it is empty there).
/// </summary>
public sealed record MountedVolume(string MountPoint, string VolumePath);
