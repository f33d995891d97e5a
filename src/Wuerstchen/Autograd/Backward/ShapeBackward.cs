using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd.Backward;

/// <summary>Gradients of the data-movement ops: each routes gradient elements back to where they came from.</summary>
internal static unsafe class ShapeBackward
{
    /// <summary>∂ of input <paramref name="index"/> of Cat along <paramref name="dim"/>: its slice of g.</summary>
    public static Tensor CatSlice(Tensor g, int dim, int start, int length) => g.Narrow(dim, start, length).Clone();

    /// <summary>∂x of Narrow/Select-style slicing: zeros with g written into the slice.</summary>
    public static Tensor IntoSlice(Tensor g, ReadOnlySpan<int> xShape, Func<Tensor, Tensor> slice)
    {
        var gx = Tensor.Zeros(xShape);
        slice(gx).CopyFrom(g);
        return gx;
    }

    /// <summary>∂x of Permute(dims): g permuted back.</summary>
    public static Tensor Unpermute(Tensor g, int[] dims)
    {
        var inverse = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++) inverse[dims[i]] = i;
        return g.Permute(inverse).Clone();
    }

    /// <summary>PixelShuffle(r) [N, C·r², H, W] → [N, C, H·r, W·r] as a permuted copy (also ∂ of PixelUnshuffle).</summary>
    public static Tensor PixelShuffle(Tensor x, int r)
    {
        int n = x.Shape[0], c = x.Shape[1] / (r * r), h = x.Shape[2], w = x.Shape[3];
        // x is a contiguous gradient: the first Reshape is a view, the last one copies the permuted view (and owns it).
        return x.Reshape(n, c, r, r, h, w).Permute(0, 1, 4, 2, 5, 3).Reshape(n, c, h * r, w * r);
    }

    /// <summary>PixelUnshuffle(r) [N, C, H·r, W·r] → [N, C·r², H, W] (also ∂ of PixelShuffle).</summary>
    public static Tensor PixelUnshuffle(Tensor x, int r)
    {
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2] / r, w = x.Shape[3] / r;
        return x.Reshape(n, c, h, r, w, r).Permute(0, 1, 3, 5, 2, 4).Reshape(n, c * r * r, h, w);
    }

    /// <summary>∂weight [V, D] of an embedding lookup: row ids[p] accumulates g[p]; parallel over columns, rows in id order.</summary>
    public static Tensor Embedding(Tensor g, int[] ids, ReadOnlySpan<int> weightShape)
    {
        int v = weightShape[0], d = weightShape[1];
        var gw = Tensor.Zeros(weightShape);
        float* gp = g.Data, wp = gw.Data;
        foreach (var id in ids)
            if ((uint)id >= (uint)v) throw new ArgumentOutOfRangeException(nameof(ids), $"Embedding backward: id {id} outside the table of {v} rows.");
        Blocks.For(d, 64, (s, e) =>
        {
            for (int p = 0; p < ids.Length; p++)
            {
                float* src = gp + (long)p * d, dst = wp + (long)ids[p] * d;
                for (long k = s; k < e; k++) dst[k] += src[k];
            }
        });
        return gw;
    }
}
