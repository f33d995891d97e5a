using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd.Backward;

/// <summary>Gradients of reductions and of softmax along a dim.</summary>
internal static unsafe class ReduceBackward
{
    /// <summary>The reduced dims as a mask over x's dims (all dims when <paramref name="dims"/> is empty, torch's convention here).</summary>
    public static bool[] ReducedMask(ReadOnlySpan<int> xShape, ReadOnlySpan<int> dims)
    {
        var mask = new bool[xShape.Length];
        if (dims.IsEmpty) { Array.Fill(mask, true); return mask; }
        foreach (int d0 in dims)
        {
            int d = d0 < 0 ? d0 + xShape.Length : d0;
            if ((uint)d >= (uint)xShape.Length) throw new ArgumentOutOfRangeException(nameof(dims), $"Reduction dim {d0} out of range for rank {xShape.Length}.");
            mask[d] = true;
        }
        return mask;
    }

    /// <summary>x's shape with the reduced dims set to 1 (the keepDim shape of the result).</summary>
    public static int[] KeptShape(ReadOnlySpan<int> xShape, bool[] reduced)
    {
        var s = xShape.ToArray();
        for (int d = 0; d < s.Length; d++) if (reduced[d]) s[d] = 1;
        return s;
    }

    /// <summary>∂x of Sum/Mean: g spread over the reduced dims, times <paramref name="scale"/> (1/count for Mean).</summary>
    public static Tensor Spread(Tensor g, ReadOnlySpan<int> xShape, bool[] reduced, float scale)
    {
        var kept = g.Reshape(KeptShape(xShape, reduced));
        var gx = kept.Expand(xShape).Clone();
        if (scale != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(gx.AsSpan(), scale, gx.AsSpan());
        return gx;
    }

    /// <summary>∂x of the L2 norm y = ‖x‖ over the reduced dims: g·x/y (0 where y = 0, as torch).</summary>
    public static Tensor Norm2(Tensor g, Tensor x, Tensor y, bool[] reduced)
    {
        var kept = KeptShape(x.Shape, reduced);
        var ratio = Tensor.Empty(kept);
        using (var yd = new Dense(y))
        {
            float* gp = g.Data, yp = yd.Data, rp = ratio.Data;
            for (long i = 0; i < ratio.Numel; i++) rp[i] = yp[i] == 0 ? 0f : gp[i] / yp[i];
        }
        var spread = Broadcasting.Expanded(ratio, x.Shape);
        var gx = Pointwise.Multiply(spread, x);
        if (!ReferenceEquals(spread, ratio)) spread.Dispose();
        ratio.Dispose();
        return gx;
    }

    /// <summary>(outer, size, inner) of x around <paramref name="dim"/>: element (o, k, i) at (o·size + k)·inner + i.</summary>
    public static (long Outer, int Size, long Inner) Split(ReadOnlySpan<int> shape, int dim)
    {
        long outer = 1, inner = 1;
        for (int d = 0; d < dim; d++) outer *= shape[d];
        for (int d = dim + 1; d < shape.Length; d++) inner *= shape[d];
        return (outer, shape[dim], inner);
    }

    /// <summary>∂x of max over <paramref name="dim"/>: all of g goes to the first position holding the maximum (torch's CPU index).</summary>
    public static Tensor Max(Tensor g, Tensor x, Tensor y, int dim)
    {
        var (outer, size, inner) = Split(x.Shape, dim);
        var gx = Tensor.Zeros(x.Shape);
        using var xd = new Dense(x);
        using var yd = new Dense(y);
        float* xp = xd.Data, yp = yd.Data, gp = g.Data, gxp = gx.Data;
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                long r = o * inner + i;
                for (int k = 0; k < size; k++)
                {
                    long e = (o * size + k) * inner + i;
                    if (xp[e] == yp[r] || float.IsNaN(yp[r]) && float.IsNaN(xp[e])) { gxp[e] = gp[r]; break; }
                }
            }
        return gx;
    }

    /// <summary>∂x of y = softmax(x) along dim: y ⊙ (g − Σ g⊙y); of y = log_softmax(x): g − eʸ·Σ g.</summary>
    public static Tensor Softmax(Tensor g, Tensor y, int dim, bool log)
    {
        var (outer, size, inner) = Split(y.Shape, dim);
        var gx = Tensor.Empty(y.Shape);
        using var yd = new Dense(y);
        float* yp = yd.Data, gp = g.Data, gxp = gx.Data;
        Blocks.For(outer * inner, 64, (s, e) =>
        {
            for (long r = s; r < e; r++)
            {
                long o = r / inner, i = r % inner, b = o * size * inner + i;
                double dot = 0;
                for (int k = 0; k < size; k++) dot += log ? gp[b + k * inner] : (double)gp[b + k * inner] * yp[b + k * inner];
                for (int k = 0; k < size; k++)
                {
                    long idx = b + k * inner;
                    gxp[idx] = log ? (float)(gp[idx] - Math.Exp(yp[idx]) * dot) : (float)(yp[idx] * (gp[idx] - dot));
                }
            }
        });
        return gx;
    }
}
