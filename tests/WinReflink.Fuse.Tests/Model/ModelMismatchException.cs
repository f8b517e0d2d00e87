namespace WinReflink.Fuse.Tests.Model;

/// <summary>The mount and the model disagree.</summary>
public sealed class ModelMismatchException : Exception
{
    public ModelMismatchException(string message)
        : base(message)
    {
    }

    public ModelMismatchException()
    {
    }

    public ModelMismatchException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
