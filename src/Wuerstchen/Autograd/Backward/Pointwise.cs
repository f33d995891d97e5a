using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd.Backward;

/// <summary>
/// A pointwise derivative rule: input gradient from the output gradient <c>g</c>, the saved value <c>v</c>
/// (the op's input or output, whichever the rule names) and up to two op parameters.
/// Struct implementations let the JIT specialise and inline each rule into the loop.
/// </summary>
internal interface IPointwiseGrad
{
    static abstract float Grad(float g, float v, float p0, float p1);
}

/// <summary>Applies pointwise derivative rules over contiguous data, in parallel blocks.</summary>
internal static unsafe class Pointwise
{
    /// <summary>result[i] = TRule.Grad(g[i], saved[i], p0, p1); g and saved have the same shape.</summary>
    public static Tensor Map<TRule>(Tensor g, Tensor saved, float p0 = 0, float p1 = 0) where TRule : struct, IPointwiseGrad
    {
        if (!g.Shape.SequenceEqual(saved.Shape)) throw new ArgumentException($"Pointwise backward: gradient {g} and saved {saved} differ in shape.");
        using var sd = new Dense(saved);
        var result = Tensor.Empty(g.Shape);
        float* gp = g.Data, sp = sd.Data, rp = result.Data;
        Blocks.For(g.Numel, 1 << 14, (start, end) =>
        {
            for (long i = start; i < end; i++) rp[i] = TRule.Grad(gp[i], sp[i], p0, p1);
        });
        return result;
    }

    /// <summary>g·s for a scalar s.</summary>
    public static Tensor Scale(Tensor g, float s)
    {
        var result = Tensor.Empty(g.Shape);
        System.Numerics.Tensors.TensorPrimitives.Multiply(g.AsSpan(), s, result.AsSpan());
        return result;
    }

    /// <summary>g / s for a scalar s.</summary>
    public static Tensor Divide(Tensor g, float s)
    {
        var result = Tensor.Empty(g.Shape);
        System.Numerics.Tensors.TensorPrimitives.Divide(g.AsSpan(), s, result.AsSpan());
        return result;
    }

    /// <summary>g ⊙ other (other broadcast to g's shape), in g's shape.</summary>
    public static Tensor Multiply(Tensor g, Tensor other)
    {
        var o = Broadcasting.Expanded(other, g.Shape);
        try
        {
            var result = Tensor.Empty(g.Shape);
            System.Numerics.Tensors.TensorPrimitives.Multiply(g.AsSpan(), o.AsSpan(), result.AsSpan());
            return result;
        }
        finally { if (!ReferenceEquals(o, other)) o.Dispose(); }
    }
}

// ------------------------------------------------------------------ rules (v = the saved value named)

/// <summary>v = x: derivative of 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
internal struct GeluTanhGrad : IPointwiseGrad
{
    public static float Grad(float g, float x, float p0, float p1)
    {
        const double k = 0.7978845608028654; // √(2/π)
        double xd = x, u = k * (xd + 0.044715 * xd * xd * xd), t = Math.Tanh(u);
        double du = k * (1 + 3 * 0.044715 * xd * xd);
        return (float)(g * (0.5 * (1 + t) + 0.5 * xd * (1 - t * t) * du));
    }
}

/// <summary>v = y = σ(x): σ' = y·(1 − y).</summary>
internal struct SigmoidGrad : IPointwiseGrad
{
    public static float Grad(float g, float y, float p0, float p1) => g * y * (1f - y);
}

/// <summary>v = y = tanh(x): 1 − y².</summary>
internal struct TanhGrad : IPointwiseGrad
{
    public static float Grad(float g, float y, float p0, float p1) => g * (1f - y * y);
}

/// <summary>v = x, p0 = negative slope (torch: slope for x ≤ 0).</summary>
internal struct LeakyReluGrad : IPointwiseGrad
{
    public static float Grad(float g, float x, float p0, float p1) => x > 0 ? g : g * p0;
}

/// <summary>v = y = relu(x) (torch's threshold_backward on the result: 0 where y ≤ 0).</summary>
internal struct ReluGrad : IPointwiseGrad
{
    public static float Grad(float g, float y, float p0, float p1) => y > 0 ? g : 0f;
}

/// <summary>v = x: sign(x), 0 at 0 (torch).</summary>
internal struct AbsGrad : IPointwiseGrad
{
    public static float Grad(float g, float x, float p0, float p1) => x > 0 ? g : x < 0 ? -g : 0f;
}

/// <summary>v = x, [p0, p1] = [min, max]: passes where min ≤ x ≤ max (torch's clamp_backward, bounds inclusive).</summary>
internal struct ClampGrad : IPointwiseGrad
{
    public static float Grad(float g, float x, float p0, float p1) => x >= p0 && x <= p1 ? g : 0f;
}

/// <summary>v = y = √x: g / (2y).</summary>
internal struct SqrtGrad : IPointwiseGrad
{
    public static float Grad(float g, float y, float p0, float p1) => g / (2f * y);
}

/// <summary>v = y = eˣ: g·y.</summary>
internal struct ExpGrad : IPointwiseGrad
{
    public static float Grad(float g, float y, float p0, float p1) => g * y;
}

/// <summary>v = x: erf'(x) = 2/√π·e^(−x²).</summary>
internal struct ErfGrad : IPointwiseGrad
{
    public static float Grad(float g, float x, float p0, float p1) => (float)(g * 1.1283791670955126 * Math.Exp(-(double)x * x));
}

/// <summary>v = x: 2x·g.</summary>
internal struct SquareGrad : IPointwiseGrad
{
    public static float Grad(float g, float x, float p0, float p1) => 2f * x * g;
}
