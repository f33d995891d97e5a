using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd.Backward;

/// <summary>Gradients of y = a / b with broadcasting.</summary>
internal static unsafe class DivBackward
{
    /// <summary>∂a = Σ_broadcast g / b.</summary>
    public static Tensor Numerator(Tensor g, Tensor b, ReadOnlySpan<int> aShape)
    {
        var be = Broadcasting.Expanded(b, g.Shape);
        var q = Tensor.Empty(g.Shape);
        System.Numerics.Tensors.TensorPrimitives.Divide(g.AsSpan(), be.AsSpan(), q.AsSpan());
        if (!ReferenceEquals(be, b)) be.Dispose();
        return Reduced(q, aShape);
    }

    /// <summary>∂b = Σ_broadcast −g·a / b².</summary>
    public static Tensor Denominator(Tensor g, Tensor a, Tensor b, ReadOnlySpan<int> bShape)
    {
        var ae = Broadcasting.Expanded(a, g.Shape);
        var be = Broadcasting.Expanded(b, g.Shape);
        var r = Tensor.Empty(g.Shape);
        float* gp = g.Data, ap = ae.Data, bp = be.Data, rp = r.Data;
        Blocks.For(g.Numel, 1 << 14, (s, e) =>
        {
            for (long i = s; i < e; i++) rp[i] = -gp[i] * ap[i] / (bp[i] * bp[i]);
        });
        if (!ReferenceEquals(ae, a)) ae.Dispose();
        if (!ReferenceEquals(be, b)) be.Dispose();
        return Reduced(r, bShape);
    }

    private static Tensor Reduced(Tensor t, ReadOnlySpan<int> shape)
    {
        var reduced = Broadcasting.SumToShape(t, shape);
        if (!ReferenceEquals(reduced, t)) t.Dispose();
        return reduced;
    }
}
