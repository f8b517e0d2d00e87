global using NUnit.Framework;

// Mounts, setpriv, fio and the libc calls are Linux; the layout tests run anywhere.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
