using WinReflink.Core.Errors;

namespace WinReflink.Core.Tests.Model;

/// <summary>
/// A harness on a volume it shares with others (the concurrent exerciser's threads). Its model's root
/// is a directory no one else touches, so its files and names must match the model exactly whatever
/// the others do. What is volume-wide is left to the volume's owner: Info()'s figures and extent share
/// counts (other harnesses' clones raise them), Check(), remounts and crashes.
/// </summary>
internal sealed partial class ModelHarness
{
    private readonly bool _ownsVolume = true;

    /// <param name="rootIno">An empty directory of <paramref name="fs"/> that this harness alone uses.</param>
    public ModelHarness(FileSystem fs, long rootIno, HarnessOptions options)
    {
        _folder = fs.VolumePath;
        _options = options;
        _fs = fs;
        _model = new ModelVolume(fs.CaseSensitive, rootIno);
        _ownsVolume = false;
    }

    /// <summary>
    /// Clones into a file of the model from a file outside it that nobody changes, whose content is
    /// <paramref name="srcContent"/>: clipped at the source's end, extending the destination.
    /// </summary>
    public void CloneFromOutside(long srcIno, byte[] srcContent, long srcOffset, int dst, long dstOffset, long length)
    {
        var d = File(dst);
        long expected = srcOffset >= srcContent.Length ? 0 : Math.Min(length, srcContent.Length - srcOffset);
        string what = Inv($"clone ino {srcIno}@{srcOffset} -> f{dst}@{dstOffset} length {length}");
        Expect(_fs.CloneRange(srcIno, srcOffset, d.Ino, dstOffset, length, out long cloned), FsError.Ok, what);
        if (cloned != expected)
        {
            throw new ModelDivergenceException(Inv($"{what}: engine cloned {cloned} bytes, model expects {expected}"));
        }
        if (cloned > 0)
        {
            d.Write(dstOffset, srcContent.AsSpan((int)srcOffset, (int)cloned));
            Modified(d);
        }
        AfterStep();
    }

    /// <summary>The owner remounted the volume: no handle survives (orphans are reclaimed), and everything else the model holds must be there.</summary>
    public void Remounted(FileSystem fs)
    {
        _fs = fs;
        ForgetHandles();
        AfterStep();
    }
}
