namespace WinReflink.Core.Tests.Model;

/// <summary>The engine disagrees with the model: a bug (in the engine, or in the model's reading of the documented semantics).</summary>
public sealed class ModelDivergenceException : Exception
{
    public ModelDivergenceException(string message)
        : base(message)
    {
    }

    public ModelDivergenceException()
    {
    }

    public ModelDivergenceException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
