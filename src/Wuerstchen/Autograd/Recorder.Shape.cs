using Wuerstchen.Autograd.Backward;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd;

public static partial class Recorder
{
    /// <summary>y = cat(tensors, dim).</summary>
    public static Tensor Cat(Tensor y, ReadOnlySpan<Tensor> tensors, int dim)
    {
        if (!Tape.ShouldRecord(tensors)) return y;
        int d = y.NormDim(dim);
        var starts = new int[tensors.Length];
        var lengths = new int[tensors.Length];
        for (int i = 0, at = 0; i < tensors.Length; i++) { starts[i] = at; lengths[i] = tensors[i].Shape[d]; at += lengths[i]; }
        Tensor?[] inputs = tensors.ToArray();
        Tape.Record(y, "Cat", inputs, [], (d, starts, lengths), static (g, n, p) =>
        {
            var grads = new Tensor?[n.InputCount];
            for (int i = 0; i < grads.Length; i++)
                if (n.NeedsGrad(i)) grads[i] = ShapeBackward.CatSlice(g, p.d, p.starts[i], p.lengths[i]);
            return grads;
        });
        return y;
    }

    /// <summary>y = PixelShuffle(x, r).</summary>
    public static Tensor PixelShuffle(Tensor y, Tensor x, int r)
    {
        if (!Tape.ShouldRecord(x)) return y;
        Tape.Record(y, "PixelShuffle", [x], [], r, static (g, n, r) => [ShapeBackward.PixelUnshuffle(g, r)]);
        return y;
    }

    /// <summary>y = PixelUnshuffle(x, r).</summary>
    public static Tensor PixelUnshuffle(Tensor y, Tensor x, int r)
    {
        if (!Tape.ShouldRecord(x)) return y;
        Tape.Record(y, "PixelUnshuffle", [x], [], r, static (g, n, r) => [ShapeBackward.PixelShuffle(g, r)]);
        return y;
    }

    /// <summary>y = weight[ids] (ids of shape idShape); the ids get no gradient.</summary>
    public static Tensor Embedding(Tensor y, Tensor weight, ReadOnlySpan<int> ids)
    {
        if (!Tape.ShouldRecord(weight)) return y;
        Tape.Record(y, "Embedding", [weight], [], ids.ToArray(), static (g, n, ids) => [ShapeBackward.Embedding(g, ids, n.InputShape(0))]);
        return y;
    }
}
