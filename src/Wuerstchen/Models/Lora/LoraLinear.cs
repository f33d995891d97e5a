using Wuerstchen.Autograd;
using Wuerstchen.Models.Nn;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Lora;

/// <summary>
/// One LoRA on one <see cref="Linear"/> layer (PEFT's <c>lora.Linear</c>, no dropout):
/// <code>y = W x + b + scale · B (A x),   A = lora_A.weight [r, in],  B = lora_B.weight [out, r],  scale = α/r</code>
/// Several adapters may be stacked on one layer (each adds its own term). The adapter owns A and B.
/// </summary>
public sealed class LoraLinear : ILinearAdapter, IDisposable
{
    private ILinearAdapter? _inner;
    private bool _attached;

    /// <summary>The adapted layer.</summary>
    public Linear Target { get; }

    /// <summary>A, <c>lora_A.weight</c> [r, in]: projects down to the rank.</summary>
    public Tensor Down { get; }

    /// <summary>B, <c>lora_B.weight</c> [out, r]: projects back up.</summary>
    public Tensor Up { get; }

    /// <summary>The factor of B A x (α/r, times a user scale when loaded from a file).</summary>
    public float Scale { get; }

    public int Rank => Down.Size(0);

    /// <summary>Takes ownership of <paramref name="down"/> and <paramref name="up"/>, checks their shapes against the layer and attaches.</summary>
    internal LoraLinear(Linear target, Tensor down, Tensor up, float scale)
    {
        if (down.Rank != 2 || up.Rank != 2 || down.Size(1) != target.InFeatures || up.Size(0) != target.OutFeatures || up.Size(1) != down.Size(0))
            throw new ArgumentException($"LoRA for '{target.Path}' ({target.InFeatures} → {target.OutFeatures}): lora_A must be [r, {target.InFeatures}] and lora_B [{target.OutFeatures}, r], got {down} and {up}.");
        if (!float.IsFinite(scale)) throw new ArgumentException($"LoRA for '{target.Path}': scale {scale} is not finite.");
        Target = target;
        Down = down;
        Up = up;
        Scale = scale;
        _inner = target.Adapter;
        target.Adapter = this;
        _attached = true;
    }

    public Tensor Forward(Tensor x, Tensor y)
    {
        if (_inner is not null) y = _inner.Forward(x, y);
        using (y)
        {
            using var down = Ops.Linear(x, Down);
            using var up = Ops.Linear(down, Up);
            if (Scale == 1f) return Ops.Add(y, up);
            using var scaled = Ops.Mul(up, Scale);
            return Ops.Add(y, scaled);
        }
    }

    /// <summary>Folds the adapter into the layer's weight, W += scale·B·A (outside any tape), and detaches it.</summary>
    public void Merge()
    {
        if (!_attached) throw new InvalidOperationException($"LoRA for '{Target.Path}' is not attached; nothing to merge.");
        using (Tape.NoGrad())
        {
            using var product = Ops.MatMul(Up, Down);                             // [out, in]
            using var delta = Ops.Mul(product, Scale);
            Ops.AddInPlace(Target.Weight, delta);
        }
        Detach();
    }

    /// <summary>Removes the adapter from its layer (wherever it sits in a stack); the layer computes W x + b again.</summary>
    public void Detach()
    {
        if (!_attached) return;
        _attached = false;
        if (ReferenceEquals(Target.Adapter, this))
        {
            Target.Adapter = _inner;
        }
        else
        {
            for (var a = Target.Adapter as LoraLinear; a is not null; a = a._inner as LoraLinear)
                if (ReferenceEquals(a._inner, this)) { a._inner = _inner; break; }
        }
        _inner = null;
    }

    /// <summary>Detaches and frees A and B.</summary>
    public void Dispose()
    {
        Detach();
        Down.Dispose();
        Up.Dispose();
    }
}
