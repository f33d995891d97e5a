using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd.Backward;

/// <summary>
/// The gradient side of torch broadcasting: an input that was broadcast to the output shape receives the
/// output gradient summed over the broadcast dims (leading dims it lacked, and its size-1 dims).
/// </summary>
internal static unsafe class Broadcasting
{
    /// <summary>
    /// Sums the contiguous gradient <paramref name="g"/> down to <paramref name="shape"/> (which must broadcast to
    /// g's shape). Returns g itself when no dim was broadcast. Sums accumulate in double, in a fixed order.
    /// </summary>
    public static Tensor SumToShape(Tensor g, ReadOnlySpan<int> shape)
    {
        var gs = g.Shape;
        if (gs.SequenceEqual(shape)) return g;
        int rank = gs.Length;
        if (shape.Length > rank) throw new ArgumentException($"SumToShape: [{string.Join(", ", shape.ToArray())}] has more dims than the gradient {g}.");
        // Strides of the target, aligned to g's dims; 0 along every dim that was broadcast.
        var tStrides = new long[rank];
        long s = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            int td = d - (rank - shape.Length);
            int size = td >= 0 ? shape[td] : 1;
            if (td >= 0 && size != gs[d] && size != 1)
                throw new ArgumentException($"SumToShape: [{string.Join(", ", shape.ToArray())}] does not broadcast to {g}.");
            tStrides[d] = size == gs[d] && td >= 0 ? s : 0;
            s *= size;
        }
        var result = Tensor.Empty(shape);
        long numel = result.Numel;
        var acc = new double[numel];
        using var gd = new Dense(g);
        float* src = gd.Data;
        if (g.Numel > 0)
        {
            int inner = rank == 0 ? 1 : gs[rank - 1];
            long innerStride = rank == 0 ? 0 : tStrides[rank - 1];
            long outer = g.Numel / Math.Max(1, inner);
            Span<int> idx = stackalloc int[Math.Max(rank, 1)];
            for (long o = 0; o < outer; o++)
            {
                long t = 0;
                for (int d = 0; d < rank - 1; d++) t += idx[d] * tStrides[d];
                float* row = src + o * inner;
                if (innerStride == 0)
                {
                    double sum = 0;
                    for (int i = 0; i < inner; i++) sum += row[i];
                    acc[t] += sum;
                }
                else
                    fixed (double* a = &acc[t]) Lanes.AddWidened(a, row, inner);
                for (int d = rank - 2; d >= 0; d--)
                {
                    if (++idx[d] < gs[d]) break;
                    idx[d] = 0;
                }
            }
        }
        var dst = result.AsSpan();
        for (long i = 0; i < numel; i++) dst[(int)i] = (float)acc[i];
        return result;
    }

    /// <summary>A contiguous copy of <paramref name="t"/> broadcast to <paramref name="shape"/> (t itself if it already has that shape and is contiguous).</summary>
    public static Tensor Expanded(Tensor t, ReadOnlySpan<int> shape) =>
        t.Shape.SequenceEqual(shape) && t.IsContiguous ? t : t.Expand(shape).Clone();
}
