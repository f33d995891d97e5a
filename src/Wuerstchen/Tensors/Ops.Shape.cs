using Wuerstchen.Autograd;
using Wuerstchen.Kernels;

namespace Wuerstchen.Tensors;

public static partial class Ops
{
    /// <summary>torch.cat: all tensors share every dim but <paramref name="dim"/>.</summary>
    public static unsafe Tensor Cat(ReadOnlySpan<Tensor> tensors, int dim)
    {
        if (tensors.Length == 0) throw new ArgumentException("Cat: needs at least one tensor.");
        var first = tensors[0];
        int rank = first.Rank;
        if (rank == 0) throw new ArgumentException("Cat: cannot concatenate 0-d tensors.");
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) throw new ArgumentOutOfRangeException(nameof(dim), $"Cat: dim {dim} out of range for {Show(first)}.");
        var shape = first.Shape.ToArray();
        long total = 0;
        foreach (var t in tensors)
        {
            bool ok = t.Rank == rank;
            for (int i = 0; ok && i < rank; i++) ok = i == d || t.Shape[i] == shape[i];
            if (!ok) throw new ArgumentException($"Cat: {Show(t)} does not match {Show(first)} outside dim {d}.");
            total += t.Shape[d];
        }
        shape[d] = checked((int)total);
        var y = Tensor.Empty(shape);
        long outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < rank; i++) inner *= shape[i];
        long offset = 0;
        foreach (var t in tensors)
        {
            using var src = Dense.Of(t);
            long block = t.Shape[d] * inner;
            Shuffle.CopyBlocks(src.Data, outer, block, y.Data + offset, total * inner);
            offset += block;
        }
        return Recorder.Cat(y, tensors, dim);
    }

    /// <summary>[…, C·r², H, W] → […, C, H·r, W·r] (torch PixelShuffle).</summary>
    public static unsafe Tensor PixelShuffle(Tensor x, int r)
    {
        if (x.Rank < 3) throw new ArgumentException($"PixelShuffle: needs [..., C, H, W], got {Show(x)}.");
        if (r < 1) throw new ArgumentOutOfRangeException(nameof(r), $"PixelShuffle: upscale factor {r} must be ≥ 1.");
        int c = x.Shape[^3], h = x.Shape[^2], w = x.Shape[^1];
        if (c % (r * r) != 0) throw new ArgumentException($"PixelShuffle: channels {c} of {Show(x)} are not divisible by {r}² = {r * r}.");
        var shape = x.Shape.ToArray();
        shape[^3] = c / (r * r); shape[^2] = h * r; shape[^1] = w * r;
        using var src = Dense.Of(x);
        var y = Tensor.Empty(shape);
        Shuffle.PixelShuffle(src.Data, y.Data, x.Numel / ((long)c * h * w) * (c / (r * r)), r, h, w);
        return Recorder.PixelShuffle(y, x, r);
    }

    /// <summary>[…, C, H·r, W·r] → […, C·r², H, W] (torch PixelUnshuffle).</summary>
    public static unsafe Tensor PixelUnshuffle(Tensor x, int r)
    {
        if (x.Rank < 3) throw new ArgumentException($"PixelUnshuffle: needs [..., C, H, W], got {Show(x)}.");
        if (r < 1) throw new ArgumentOutOfRangeException(nameof(r), $"PixelUnshuffle: downscale factor {r} must be ≥ 1.");
        int c = x.Shape[^3], h = x.Shape[^2], w = x.Shape[^1];
        if (h % r != 0 || w % r != 0) throw new ArgumentException($"PixelUnshuffle: spatial size of {Show(x)} is not divisible by {r}.");
        var shape = x.Shape.ToArray();
        shape[^3] = c * r * r; shape[^2] = h / r; shape[^1] = w / r;
        using var src = Dense.Of(x);
        var y = Tensor.Empty(shape);
        Shuffle.PixelUnshuffle(src.Data, y.Data, x.Numel / ((long)h * w), r, h / r, w / r);
        return Recorder.PixelUnshuffle(y, x, r);
    }

    /// <summary>Rows of <paramref name="weight"/> [V, D] for ids (shape <paramref name="idShape"/>) → [..idShape, D].</summary>
    public static unsafe Tensor Embedding(Tensor weight, ReadOnlySpan<int> ids, ReadOnlySpan<int> idShape)
    {
        if (weight.Rank != 2) throw new ArgumentException($"Embedding: weight must be [V, D], got {Show(weight)}.");
        if (ShapeUtil.Numel(idShape) != ids.Length)
            throw new ArgumentException($"Embedding: {ids.Length} ids do not fill shape [{string.Join(", ", idShape.ToArray())}].");
        int v = weight.Shape[0], dim = weight.Shape[1];
        using var w = Dense.Of(weight);
        var y = Tensor.Empty([.. idShape, dim]);
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)v)
            {
                y.Dispose();
                throw new ArgumentOutOfRangeException(nameof(ids), $"Embedding: id {ids[i]} at position {i} is outside the table of {v} rows.");
            }
            Buffer.MemoryCopy(w.Data + (long)ids[i] * dim, y.Data + (long)i * dim, dim * 4L, dim * 4L);
        }
        return Recorder.Embedding(y, weight, ids);
    }

    /// <summary>NCHW → NHWC contiguous copy (a tiled transpose of every image's [C, H·W] matrix).</summary>
    public static unsafe Tensor ToChannelsLast(Tensor x)
    {
        RequireRank(x, 4, nameof(ToChannelsLast), "input", "NCHW");
        using var src = Dense.Of(x);
        var y = Tensor.Empty(x.Shape[0], x.Shape[2], x.Shape[3], x.Shape[1]);
        Transpose.Batched(src.Data, x.Shape[0], x.Shape[1], x.Shape[2] * x.Shape[3], y.Data);
        return Recorder.Permute(y, x, [0, 2, 3, 1]);
    }

    /// <summary>NHWC → NCHW contiguous copy.</summary>
    public static unsafe Tensor ToChannelsFirst(Tensor x)
    {
        RequireRank(x, 4, nameof(ToChannelsFirst), "input", "NHWC");
        using var src = Dense.Of(x);
        var y = Tensor.Empty(x.Shape[0], x.Shape[3], x.Shape[1], x.Shape[2]);
        Transpose.Batched(src.Data, x.Shape[0], x.Shape[1] * x.Shape[2], x.Shape[3], y.Data);
        return Recorder.Permute(y, x, [0, 3, 1, 2]);
    }
}
