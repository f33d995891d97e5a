using Wuerstchen.Kernels;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd.Backward;

/// <summary>Gradients of y = x·Wᵀ + b (F.linear, W stored [out, in]) and of batched matmul, as GEMMs.</summary>
internal static unsafe class LinearBackward
{
    /// <summary>∂x = g·W: [..., out] × [out, in] → [..., in].</summary>
    public static Tensor Input(Tensor g, Tensor weight, ReadOnlySpan<int> xShape)
    {
        int outF = weight.Shape[0], inF = weight.Shape[1];
        int rows = (int)(g.Numel / Math.Max(1, outF));
        var gx = Tensor.Empty(xShape);
        using var w = new Dense(weight);
        Gemm.Sgemm(false, false, rows, inF, outF, 1f, g.Data, outF, w.Data, inF, 0f, gx.Data, inF);
        return gx;
    }

    /// <summary>∂W = gᵀ·x over all leading dims: [out, in].</summary>
    public static Tensor Weight(Tensor g, Tensor x, ReadOnlySpan<int> weightShape)
    {
        int outF = weightShape[0], inF = weightShape[1];
        int rows = (int)(g.Numel / Math.Max(1, outF));
        var gw = Tensor.Empty(weightShape);
        using var xd = new Dense(x);
        Gemm.Sgemm(true, false, outF, inF, rows, 1f, g.Data, outF, xd.Data, inF, 0f, gw.Data, inF);
        return gw;
    }

    /// <summary>∂b = Σ over all leading dims of g.</summary>
    public static Tensor Bias(Tensor g, ReadOnlySpan<int> biasShape) => Broadcasting.SumToShape(g, biasShape);

    /// <summary>Batch shape of a matmul: the broadcast of both operands' leading dims.</summary>
    private static int[] BatchShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => ShapeUtil.Broadcast(a[..^2], b[..^2]);

    /// <summary>∂a of a[..., M, K] @ b[..., K, N] = Σ_broadcast g·bᵀ.</summary>
    public static Tensor MatMulLeft(Tensor g, Tensor b, ReadOnlySpan<int> aShape)
    {
        var batch = BatchShape(aShape, b.Shape);
        int m = aShape[^2], k = aShape[^1], n = b.Shape[^1];
        var full = Tensor.Empty([.. batch, m, k]);
        var be = Broadcasting.Expanded(b, [.. batch, k, n]);
        long count = ShapeUtil.Numel(batch);
        for (long i = 0; i < count; i++)
            Gemm.Sgemm(false, true, m, k, n, 1f, g.Data + i * m * n, n, be.Data + i * k * n, n, 0f, full.Data + i * m * k, k);
        if (!ReferenceEquals(be, b)) be.Dispose();
        return Reduced(full, aShape);
    }

    /// <summary>∂b of a[..., M, K] @ b[..., K, N] = Σ_broadcast aᵀ·g.</summary>
    public static Tensor MatMulRight(Tensor g, Tensor a, ReadOnlySpan<int> bShape)
    {
        var batch = BatchShape(a.Shape, bShape);
        int m = a.Shape[^2], k = a.Shape[^1], n = bShape[^1];
        var full = Tensor.Empty([.. batch, k, n]);
        var ae = Broadcasting.Expanded(a, [.. batch, m, k]);
        long count = ShapeUtil.Numel(batch);
        for (long i = 0; i < count; i++)
            Gemm.Sgemm(true, false, k, n, m, 1f, ae.Data + i * m * k, k, g.Data + i * m * n, n, 0f, full.Data + i * k * n, n);
        if (!ReferenceEquals(ae, a)) ae.Dispose();
        return Reduced(full, bShape);
    }

    private static Tensor Reduced(Tensor t, ReadOnlySpan<int> shape)
    {
        var r = Broadcasting.SumToShape(t, shape);
        if (!ReferenceEquals(r, t)) t.Dispose();
        return r;
    }
}
