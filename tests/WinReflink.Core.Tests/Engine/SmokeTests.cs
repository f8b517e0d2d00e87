using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Engine;

public class SmokeTests : VolumeFixture
{
    [Test]
    public void WriteCloneOverwriteReopen()
    {
        var data = new byte[1_000_000];
        new Random(1).NextBytes(data);
        long a, b;
        using (var fs = FormatAndOpen())
        {
            Assert.That(fs.Create(FileSystem.RootIno, "a.bin", new CreateRequest(0x1A4, 0, 0), out var attrA), Is.EqualTo(FsError.Ok));
            a = attrA.Ino;
            Assert.That(fs.Write(a, 0, data, out int w), Is.EqualTo(FsError.Ok));
            Assert.That(w, Is.EqualTo(data.Length));
            Assert.That(fs.Create(FileSystem.RootIno, "b.bin", new CreateRequest(0x1A4, 0, 0), out var attrB), Is.EqualTo(FsError.Ok));
            b = attrB.Ino;
            Assert.That(fs.CloneRange(a, 0, b, 0, long.MaxValue, out long cloned), Is.EqualTo(FsError.Ok));
            Assert.That(cloned, Is.EqualTo(data.Length));
            var info = fs.Info();
            Assert.That(info.SharedBytes, Is.EqualTo(245 * 4096));
            Assert.That(fs.Write(b, 5000, new byte[] { 1, 2, 3 }, out _), Is.EqualTo(FsError.Ok));
            Assert.That(fs.Check(), Is.Empty);
        }
        using (var fs = Reopen())
        {
            Assert.That(fs.Check(), Is.Empty);
            var back = new byte[data.Length];
            Assert.That(fs.Read(a, 0, back, out int r), Is.EqualTo(FsError.Ok));
            Assert.That(r, Is.EqualTo(data.Length));
            Assert.That(back, Is.EqualTo(data));
            Assert.That(fs.Read(b, 0, back, out _), Is.EqualTo(FsError.Ok));
            data[5000] = 1;
            data[5001] = 2;
            data[5002] = 3;
            Assert.That(back, Is.EqualTo(data));
        }
    }
}
