using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Weights;

/// <summary>Where a <see cref="WeightSource"/>'s tensors come from: files, a random generator, or shapes only.</summary>
internal abstract class WeightStore : IDisposable
{
    /// <summary>Names the store in errors: a folder or file list, or "random weights (seed 7)".</summary>
    public abstract string Description { get; }

    /// <summary>Keys that exist in the store (empty for synthetic stores, which have every key).</summary>
    public abstract IEnumerable<string> Keys { get; }

    public abstract bool Contains(string key);

    /// <summary>A new float32 tensor for <paramref name="key"/>; throws naming the file and key when missing or mis-shaped.</summary>
    public abstract Tensor Load(string key, int[] shape);

    public virtual void Dispose() { }

    protected static string ShapeText(ReadOnlySpan<int> shape) => $"[{string.Join(", ", shape.ToArray())}]";
}
