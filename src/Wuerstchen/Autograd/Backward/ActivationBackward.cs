using Wuerstchen.Kernels;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd.Backward;

/// <summary>
/// Vectorised derivatives of the transcendental activations the models run on large activations (GELU in every
/// channel-wise MLP, SiLU before every kv_mapper), built on the forward kernels' SIMD math so the backward costs
/// about as much as the forward. The cheap rules stay scalar in <see cref="Pointwise"/>.
/// </summary>
internal static unsafe class ActivationBackward
{
    /// <summary>∂x of exact GELU: g·(Φ(x) + x·φ(x)).</summary>
    public static Tensor Gelu(Tensor g, Tensor x) => Zip(default(GeluGradOp), g, x, "Gelu");

    /// <summary>∂x of SiLU: g·σ(x)·(1 + x·(1 − σ(x))).</summary>
    public static Tensor Silu(Tensor g, Tensor x) => Zip(default(SiluGradOp), g, x, "Silu");

    private static Tensor Zip<TOp>(TOp op, Tensor g, Tensor x, string name) where TOp : struct, IBinaryOp
    {
        if (!g.Shape.SequenceEqual(x.Shape)) throw new ArgumentException($"{name} backward: gradient {g} and input {x} differ in shape.");
        using var xd = new Dense(x);
        var result = Tensor.Empty(g.Shape);
        Elementwise.Zip(op, g.Data, 1, xd.Data, 1, result.Data, g.Numel);
        return result;
    }

    /// <summary>a = g, b = x. Φ(x) through the forward's 1 + erf(x/√2) (accurate also far in the negative tail).</summary>
    private readonly struct GeluGradOp : IBinaryOp
    {
        public TV Invoke<TV>(TV g, TV x) where TV : unmanaged, ISimd<TV>
        {
            var cdf = TV.Create(0.5f) * VectorMath.OnePlusErfOfScaled(x);
            var pdf = TV.Create(0.39894228f) * VectorMath.Exp(x * x * TV.Create(-0.5f));
            return g * TV.Fma(x, pdf, cdf);
        }
    }

    /// <summary>a = g, b = x.</summary>
    private readonly struct SiluGradOp : IBinaryOp
    {
        public TV Invoke<TV>(TV g, TV x) where TV : unmanaged, ISimd<TV>
        {
            var s = VectorMath.Sigmoid(x);
            var one = TV.Create(1f);
            return g * s * TV.Fma(x, one - s, one);
        }
    }
}
