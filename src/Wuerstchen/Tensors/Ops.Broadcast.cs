using Wuerstchen.Kernels;

namespace Wuerstchen.Tensors;

public static partial class Ops
{
    /// <summary>A new tensor op(a, b) over torch's broadcast of the two shapes.</summary>
    private static Tensor Broadcasting<TOp>(TOp op, Tensor a, Tensor b, string name) where TOp : struct, IBinaryOp
    {
        int[] shape;
        try { shape = ShapeUtil.Broadcast(a.Shape, b.Shape); }
        catch (ArgumentException) { throw new ArgumentException($"{name}: shapes {Show(a)} and {Show(b)} do not broadcast."); }
        var y = Tensor.Empty(shape);
        BroadcastInto(op, a, b, y);
        return y;
    }

    /// <summary>
    /// y = op(a, b) with a and b broadcast to y's shape (y contiguous; y may be a itself). Dims are coalesced so
    /// the kernel sees long rows: [B,C,H,W] ⊕ [B,C,1,1] becomes B·C rows of H·W against one value each.
    /// </summary>
    private static unsafe void BroadcastInto<TOp>(TOp op, Tensor a, Tensor b, Tensor y) where TOp : struct, IBinaryOp
    {
        if (y.Numel == 0) return;
        var shape = y.Shape.ToArray();
        var ea = a.Expand(shape);
        var eb = b.Expand(shape);
        var (dims, sa, sb) = Coalesce(shape, ea.Strides, eb.Strides);
        int rank = dims.Length;
        // Rows need unit or zero inner strides; a strided (permuted) operand is gathered once first.
        if (rank > 0 && sa[rank - 1] > 1)
        {
            using var ca = a.Clone();
            BroadcastInto(op, ca, b, y);
            return;
        }
        if (rank > 0 && sb[rank - 1] > 1)
        {
            using var cb = b.Clone();
            BroadcastInto(op, a, cb, y);
            return;
        }
        long n = rank == 0 ? 1 : dims[rank - 1];
        int innerA = rank == 0 ? 0 : (int)sa[rank - 1], innerB = rank == 0 ? 0 : (int)sb[rank - 1];
        long rows = y.Numel / n;
        float* pa = ea.Data, pb = eb.Data, py = y.Data;
        if (rows == 1) { Elementwise.Zip(op, pa, innerA, pb, innerB, py, n); return; }

        long rowsPerItem = Math.Max(1, Elementwise.ParallelGrain / n);
        long items = (rows + rowsPerItem - 1) / rowsPerItem;
        Threads.For((int)items, item =>
        {
            long first = item * rowsPerItem, last = Math.Min(rows, first + rowsPerItem);
            for (long r = first; r < last; r++)
            {
                long offA = 0, offB = 0, rem = r;
                for (int d = rank - 2; d >= 0; d--)
                {
                    long i = rem % dims[d];
                    rem /= dims[d];
                    offA += i * sa[d];
                    offB += i * sb[d];
                }
                Elementwise.ZipSerial(op, pa + offA, innerA, pb + offB, innerB, py + r * n, n);
            }
        });
    }

    /// <summary>
    /// Drops size-1 dims and merges neighbours that are jointly contiguous in both operands (the output is
    /// contiguous, so only the inputs constrain merging).
    /// </summary>
    private static (long[] Dims, long[] Sa, long[] Sb) Coalesce(ReadOnlySpan<int> shape, ReadOnlySpan<long> sa, ReadOnlySpan<long> sb)
    {
        var d = new List<long>(); var a = new List<long>(); var b = new List<long>();
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1) continue;
            int last = d.Count - 1;
            if (last >= 0 && a[last] == sa[i] * shape[i] && b[last] == sb[i] * shape[i])
            {
                d[last] *= shape[i];
                a[last] = sa[i];
                b[last] = sb[i];
            }
            else { d.Add(shape[i]); a.Add(sa[i]); b.Add(sb[i]); }
        }
        return ([.. d], [.. a], [.. b]);
    }

    /// <summary>A new contiguous tensor op(x).</summary>
    private static unsafe Tensor Unary<TOp>(TOp op, Tensor x) where TOp : struct, IUnaryOp
    {
        if (x.IsContiguous)
        {
            var y = x.EmptyLike();
            Elementwise.Map(op, x.Data, y.Data, x.Numel);
            return y;
        }
        var c = x.Clone();
        Elementwise.Map(op, c.Data, c.Data, c.Numel);
        return c;
    }

    private static string Show(Tensor t) => $"[{string.Join(", ", t.Shape.ToArray())}]";
}
