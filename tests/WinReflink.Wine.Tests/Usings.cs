global using NUnit.Framework;
global using WinReflink.Tests.Wine;
