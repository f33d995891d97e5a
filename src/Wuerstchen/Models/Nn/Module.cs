using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;
using Wuerstchen.Training;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// Base of every layer and model: owns the weight tensors it loads and the child modules it builds, and frees
/// them all on <see cref="Dispose"/>. It remembers each loaded tensor's state-dict key, so a model can list its
/// learnable parameters for an optimiser (<see cref="NamedParameters"/>) and its whole state for a checkpoint
/// (<see cref="StateDict"/>). The tensors listed are the very ones the forward pass consumes.
/// </summary>
public abstract class Module : IDisposable
{
    /// <summary>State-dict suffixes of buffers: loaded and saved, never optimised.</summary>
    private static readonly string[] BufferSuffixes = [".running_mean", ".running_var"];

    private readonly List<IDisposable> _owned = [];
    private readonly List<(string Key, Tensor Tensor, bool IsBuffer)> _weights = [];
    private bool _disposed;

    /// <summary>Loads weight <paramref name="name"/> of shape <paramref name="shape"/> from <paramref name="ws"/> and takes ownership of it.</summary>
    protected Tensor LoadWeight(WeightSource ws, string name, params ReadOnlySpan<int> shape)
    {
        var t = ws.Get(name, shape);
        _owned.Add(t);
        string key = ws.Key(name);
        _weights.Add((key, t, BufferSuffixes.Any(s => key.EndsWith(s, StringComparison.Ordinal))));
        return t;
    }

    /// <summary>
    /// Frees a weight loaded by <see cref="LoadWeight"/> that the layer has replaced (e.g. by a bf16 copy): it leaves
    /// <see cref="NamedParameters"/> and <see cref="StateDict"/>, and its memory is released now.
    /// </summary>
    protected void ReleaseWeight(Tensor weight)
    {
        int i = _weights.FindIndex(w => ReferenceEquals(w.Tensor, weight));
        if (i < 0) throw new ArgumentException($"{GetType().Name}: the tensor {weight} was not loaded by this module.", nameof(weight));
        _weights.RemoveAt(i);
        _owned.Remove(weight);
        weight.Dispose();
    }

    /// <summary>Takes ownership of a child module (disposed with this one).</summary>
    protected T Own<T>(T child) where T : IDisposable
    {
        _owned.Add(child);
        return child;
    }

    /// <summary>
    /// Every learnable tensor of this module and its children, keyed by state-dict name, in construction order
    /// (BatchNorm running statistics excluded). Training needs weights loaded with <c>writable: true</c>.
    /// </summary>
    public IEnumerable<NamedParameter> NamedParameters() =>
        AllWeights().Where(w => !w.IsBuffer).Select(w => new NamedParameter(w.Key, w.Tensor));

    /// <summary>Every loaded tensor (parameters and buffers) by state-dict key: what a checkpoint stores.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateDict() =>
        AllWeights().Select(w => new KeyValuePair<string, Tensor>(w.Key, w.Tensor));

    private IEnumerable<(string Key, Tensor Tensor, bool IsBuffer)> AllWeights()
    {
        // Weights and children interleave in _owned in construction order; walk it so keys come out in that order.
        int next = 0;
        foreach (var owned in _owned)
        {
            if (owned is Module child)
            {
                foreach (var w in child.AllWeights()) yield return w;
            }
            else if (next < _weights.Count && ReferenceEquals(owned, _weights[next].Tensor))
            {
                yield return _weights[next++];
            }
        }
    }

    /// <summary>This module and every module below it, depth first in construction order (e.g. to find the layers a LoRA targets).</summary>
    public IEnumerable<Module> Modules()
    {
        yield return this;
        foreach (var owned in _owned)
            if (owned is Module child)
                foreach (var m in child.Modules()) yield return m;
    }

    /// <summary>Number of learnable scalars (<see cref="NamedParameters"/> summed).</summary>
    public long ParameterCount() => NamedParameters().Sum(p => p.Value.Numel);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
        _weights.Clear();
        GC.SuppressFinalize(this);
    }
}
