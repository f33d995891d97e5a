using Wuerstchen.Autograd;
using Wuerstchen.Kernels;

namespace Wuerstchen.Tensors;

public static partial class Ops
{
    /// <summary>Sum over <paramref name="dims"/> (all dims when empty); keepDim keeps them as size 1.</summary>
    public static Tensor Sum(Tensor x, ReadOnlySpan<int> dims, bool keepDim = false) => Recorder.Sum(Reduce(x, dims, keepDim, Reduction.Sum, nameof(Sum)), x, dims, keepDim);
    public static Tensor Mean(Tensor x, ReadOnlySpan<int> dims, bool keepDim = false) => Recorder.Mean(Reduce(x, dims, keepDim, Reduction.Mean, nameof(Mean)), x, dims, keepDim);
    /// <summary>L2 norm (sqrt of sum of squares) over <paramref name="dims"/>.</summary>
    public static Tensor Norm2(Tensor x, ReadOnlySpan<int> dims, bool keepDim = false) => Recorder.Norm2(Reduce(x, dims, keepDim, Reduction.Norm2, nameof(Norm2)), x, dims, keepDim);
    /// <summary>Max over one dim (values only; NaN propagates as in torch).</summary>
    public static Tensor Max(Tensor x, int dim, bool keepDim = false) => Recorder.Max(Reduce(x, [dim], keepDim, Reduction.Max, nameof(Max)), x, dim, keepDim);

    /// <summary>torch.argmax over one dim: indices (row-major over the other dims) of the first maximum; NaN wins.</summary>
    public static int[] ArgMax(Tensor x, int dim) => ArgExtreme(x, dim, max: true, nameof(ArgMax));
    /// <summary>torch.argmin over one dim (e.g. the nearest codebook entry of a VQ); NaN wins.</summary>
    public static int[] ArgMin(Tensor x, int dim) => ArgExtreme(x, dim, max: false, nameof(ArgMin));

    /// <summary>torch.softmax along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(Tensor x, int dim) => Recorder.Softmax(SoftmaxAlong(x, dim, log: false), x, dim);
    /// <summary>torch.log_softmax along <paramref name="dim"/>.</summary>
    public static Tensor LogSoftmax(Tensor x, int dim) => Recorder.LogSoftmax(SoftmaxAlong(x, dim, log: true), x, dim);

    private enum Reduction { Sum, Mean, Norm2, Max }

    private static unsafe Tensor Reduce(Tensor x, ReadOnlySpan<int> dims, bool keepDim, Reduction kind, string name)
    {
        int rank = x.Rank;
        var reduced = new bool[rank];
        if (dims.Length == 0) Array.Fill(reduced, true);
        foreach (int d in dims)
        {
            int nd = d < 0 ? d + rank : d;
            if (nd < 0 || nd >= rank) throw new ArgumentOutOfRangeException(nameof(dims), $"{name}: dim {d} out of range for {Show(x)}.");
            if (reduced[nd]) throw new ArgumentException($"{name}: dim {d} appears more than once.");
            reduced[nd] = true;
        }
        var outShape = new List<int>();
        long r = 1;
        for (int d = 0; d < rank; d++)
        {
            if (reduced[d]) { r *= x.Shape[d]; if (keepDim) outShape.Add(1); }
            else outShape.Add(x.Shape[d]);
        }
        if (r == 0 && kind == Reduction.Max) throw new ArgumentException($"{name}: cannot take the max over an empty dim of {Show(x)}.");
        var y = Tensor.Empty([.. outShape]);
        if (y.Numel == 0) return y;

        // [outer, r, inner] without a copy when x is contiguous and the reduced dims are one consecutive run
        // (ignoring size-1 dims); otherwise gather the reduced dims to the end.
        int first = -1, last = -1;
        for (int d = 0; d < rank; d++)
            if (reduced[d] && x.Shape[d] != 1) { if (first < 0) first = d; last = d; }
        bool run = first < 0 || Enumerable.Range(first, last - first + 1).All(d => reduced[d] || x.Shape[d] == 1);
        Tensor src = x;
        long inner = 1;
        if (x.IsContiguous && run)
        {
            if (first >= 0) for (int d = last + 1; d < rank; d++) inner *= x.Shape[d];
        }
        else
        {
            var perm = Enumerable.Range(0, rank).Where(d => !reduced[d]).Concat(Enumerable.Range(0, rank).Where(d => reduced[d])).ToArray();
            src = x.Permute(perm).Clone();
        }
        long outer = y.Numel / inner;
        try
        {
            float* px = src.Data, py = y.Data;
            if (inner == 1)
            {
                Threads.For((int)Math.Min(outer, 4L * Threads.Count), item =>
                {
                    long items = Math.Min(outer, 4L * Threads.Count);
                    for (long o = item * outer / items; o < (item + 1) * outer / items; o++)
                        py[o] = Finish(kind, kind switch
                        {
                            Reduction.Max => Reductions.Max(px + o * r, r),
                            Reduction.Norm2 => Reductions.SumSquares(px + o * r, r),
                            _ => Reductions.Sum(px + o * r, r),
                        }, r);
                });
            }
            else if (kind == Reduction.Max)
                Reductions.MaxMiddle(px, outer, r, inner, py);
            else
            {
                var acc = new double[outer * inner];
                fixed (double* pa = acc)
                {
                    Reductions.SumMiddle(px, outer, r, inner, kind == Reduction.Norm2, pa);
                    for (long i = 0; i < acc.LongLength; i++) py[i] = Finish(kind, pa[i], r);
                }
            }
        }
        finally
        {
            if (!ReferenceEquals(src, x)) src.Dispose();
        }
        return y;
    }

    private static float Finish(Reduction kind, double v, long count) => kind switch
    {
        Reduction.Mean => (float)(v / count),
        Reduction.Norm2 => (float)Math.Sqrt(v),
        _ => (float)v,
    };

    private static unsafe int[] ArgExtreme(Tensor x, int dim, bool max, string name)
    {
        if (x.Rank == 0) throw new ArgumentException($"{name}: needs at least one dim.");
        int d = dim < 0 ? dim + x.Rank : dim;
        if (d < 0 || d >= x.Rank) throw new ArgumentOutOfRangeException(nameof(dim), $"{name}: dim {dim} out of range for {Show(x)}.");
        int n = x.Shape[d];
        if (n == 0) throw new ArgumentException($"{name}: dim {dim} of {Show(x)} is empty.");
        using var src = Dense.Of(d == x.Rank - 1 ? x : x.Transpose(d, -1));
        var result = new int[x.Numel / n];
        float* p = src.Data;
        Threads.For((int)Math.Min(result.Length, 4L * Threads.Count), item =>
        {
            long items = Math.Min(result.Length, 4L * Threads.Count);
            for (long r = item * result.Length / items; r < (item + 1) * result.Length / items; r++)
                result[r] = Reductions.ArgExtreme(p + r * n, n, max);
        });
        return result;
    }

    private static unsafe Tensor SoftmaxAlong(Tensor x, int dim, bool log)
    {
        string name = log ? nameof(LogSoftmax) : nameof(Softmax);
        if (x.Rank == 0) throw new ArgumentException($"{name}: needs at least one dim.");
        int d = dim < 0 ? dim + x.Rank : dim;
        if (d < 0 || d >= x.Rank) throw new ArgumentOutOfRangeException(nameof(dim), $"{name}: dim {dim} out of range for {Show(x)}.");
        if (x.Numel == 0) return x.Clone();
        bool last = d == x.Rank - 1;
        using var src = Dense.Of(last ? x : x.Transpose(d, -1));
        var t = src.Tensor!;
        int n = t.Shape[^1];
        var y = Tensor.Empty(t.Shape);
        if (log) Kernels.Softmax.LogRows(src.Data, y.Data, t.Numel / n, n);
        else Kernels.Softmax.Rows(src.Data, y.Data, t.Numel / n, n);
        if (last) return y;
        using (y) return y.Transpose(d, -1).Clone();
    }
}
