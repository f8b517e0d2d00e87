using WinReflink.WinFsp.Tests.Harness;

namespace WinReflink.WinFsp.Tests.Adapter;

/// <summary>A fresh case-insensitive volume behind the adapter per test.</summary>
public abstract class AdapterFixture
{
    internal AdapterHarness H { get; private set; } = null!;

    [SetUp]
    public void StartAdapter()
    {
        H = new AdapterHarness();
        FakeWinFspExports.NotifyBeginStatus = 0;
        FakeWinFspExports.Notifications.Clear();
    }

    [TearDown]
    public void StopAdapter() => H.Dispose();

    internal static byte[] Pattern(int length, int seed = 1)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
