using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// Base of every layer and model: owns the weight tensors it loads and the child modules it builds, and frees
/// them all on <see cref="Dispose"/>.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private bool _disposed;

    /// <summary>Loads weight <paramref name="name"/> of shape <paramref name="shape"/> from <paramref name="ws"/> and takes ownership of it.</summary>
    protected Tensor LoadWeight(WeightSource ws, string name, params ReadOnlySpan<int> shape)
    {
        var t = ws.Get(name, shape);
        _owned.Add(t);
        return t;
    }

    /// <summary>Takes ownership of a child module (disposed with this one).</summary>
    protected T Own<T>(T child) where T : IDisposable
    {
        _owned.Add(child);
        return child;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
        GC.SuppressFinalize(this);
    }
}
