using Wuerstchen.Autograd;
using Wuerstchen.Kernels;
using Wuerstchen.Kernels.Bf16;

namespace Wuerstchen.Tensors;

public static unsafe partial class Ops
{
    /// <summary>torch.nn.functional.linear: y[..., out] = x[..., in] · Wᵀ + b, W stored [out, in].</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        if (weight.Rank != 2)
            throw new ArgumentException($"Linear: weight must be [out, in], got {weight}.", nameof(weight));
        int outFeatures = weight.Size(0), inFeatures = weight.Size(1);
        if (x.Rank < 1 || x.Size(-1) != inFeatures)
            throw new ArgumentException($"Linear: input {x} does not end in in_features = {inFeatures} of weight {weight}.", nameof(x));
        if (bias is not null && (bias.Rank != 1 || bias.Size(0) != outFeatures))
            throw new ArgumentException($"Linear: bias {bias} must be [{outFeatures}] for weight {weight}.", nameof(bias));

        var outShape = x.Shape.ToArray();
        outShape[^1] = outFeatures;
        var y = Tensor.Empty(outShape);
        int rows = checked((int)(x.Numel / Math.Max(inFeatures, 1)));
        if (inFeatures == 0) rows = checked((int)(y.Numel / Math.Max(outFeatures, 1)));

        var xc = x.Contiguous();
        var bc = bias?.Contiguous();
        try
        {
            // Wᵀ as the GEMM's B operand: a row-major [out, in] weight is B transposed; a weight that is
            // itself a transposed view (stride [1, out]) is plain B, so neither case copies the weight.
            var wOp = MatrixOperand.Of(weight, transposeLogical: true);
            var wc = wOp.IsView ? weight : weight.Contiguous();
            if (!wOp.IsView) wOp = MatrixOperand.Of(wc, transposeLogical: true);
            try
            {
                if (UseReducedCompute(x, weight, bias))
                    Bf16Gemm.Gemm(wOp.Trans, rows, outFeatures, inFeatures, xc.Data, inFeatures, wc.Data, wOp.Ld,
                        y.Data, outFeatures, bc is null ? null : bc.Data);
                else
                    Gemm.Sgemm(false, wOp.Trans, rows, outFeatures, inFeatures, 1f,
                        xc.Data, inFeatures, wc.Data, wOp.Ld, 0f, y.Data, outFeatures,
                        bc is null ? null : bc.Data);
            }
            finally { if (!ReferenceEquals(wc, weight)) wc.Dispose(); }
        }
        finally
        {
            if (!ReferenceEquals(xc, x)) xc.Dispose();
            if (bc is not null && !ReferenceEquals(bc, bias)) bc.Dispose();
        }
        return Recorder.Linear(y, x, weight, bias);
    }

    /// <summary>
    /// y += x·Wᵀ in place (torch's <c>y.addmm_(x, W.T)</c> over the last dim), float32 whatever the compute precision:
    /// one GEMM pass that reads and writes y once, for adding a narrow product to a wide Linear's output. y must be
    /// contiguous […, out]; x [… (same rows), in]; W [out, in]. Not differentiable (inference).
    /// </summary>
    public static void LinearAccumulate(Tensor y, Tensor x, Tensor weight)
    {
        if (weight.Rank != 2)
            throw new ArgumentException($"LinearAccumulate: weight must be [out, in], got {weight}.", nameof(weight));
        int outFeatures = weight.Size(0), inFeatures = weight.Size(1);
        if (!y.IsContiguous || y.Rank < 1 || y.Size(-1) != outFeatures)
            throw new ArgumentException($"LinearAccumulate: y {y} must be contiguous and end in out_features = {outFeatures}.", nameof(y));
        if (x.Rank < 1 || x.Size(-1) != inFeatures || x.Numel / Math.Max(inFeatures, 1) != y.Numel / Math.Max(outFeatures, 1))
            throw new ArgumentException($"LinearAccumulate: x {x} must have y's rows ({y}) and end in in_features = {inFeatures}.", nameof(x));
        if (Tape.ShouldRecord(y, x, weight))
            throw new InvalidOperationException("LinearAccumulate updates y in place and is not differentiable; it is for inference.");
        int rows = checked((int)(y.Numel / Math.Max(outFeatures, 1)));
        if (rows == 0 || outFeatures == 0 || inFeatures == 0) return;
        var xc = x.Contiguous();
        var wOp = MatrixOperand.Of(weight, transposeLogical: true);
        var wc = wOp.IsView ? weight : weight.Contiguous();
        if (!wOp.IsView) wOp = MatrixOperand.Of(wc, transposeLogical: true);
        try
        {
            Gemm.Sgemm(false, wOp.Trans, rows, outFeatures, inFeatures, 1f, xc.Data, inFeatures, wc.Data, wOp.Ld,
                1f, y.Data, outFeatures);
        }
        finally
        {
            if (!ReferenceEquals(xc, x)) xc.Dispose();
            if (!ReferenceEquals(wc, weight)) wc.Dispose();
        }
    }

    /// <summary>torch.nn.functional.linear with a weight packed once by <see cref="PackedLinearWeight.Pack"/>.</summary>
    public static Tensor Linear(Tensor x, PackedLinearWeight weight, Tensor? bias = null)
    {
        int outFeatures = weight.OutFeatures, inFeatures = weight.InFeatures;
        if (x.Rank < 1 || x.Size(-1) != inFeatures)
            throw new ArgumentException($"Linear: input {x} does not end in in_features = {inFeatures} of {weight}.", nameof(x));
        if (bias is not null && (bias.Rank != 1 || bias.Size(0) != outFeatures))
            throw new ArgumentException($"Linear: bias {bias} must be [{outFeatures}] for {weight}.", nameof(bias));

        var outShape = x.Shape.ToArray();
        outShape[^1] = outFeatures;
        var y = Tensor.Empty(outShape);
        int rows = checked((int)(y.Numel / Math.Max(outFeatures, 1)));
        var xc = x.Contiguous();
        var bc = bias?.Contiguous();
        try
        {
            Gemm.Sgemm(false, rows, 1f, xc.Data, Math.Max(inFeatures, 1), weight.Gemm, 0f, y.Data, Math.Max(outFeatures, 1),
                bc is null ? null : bc.Data);
        }
        finally
        {
            if (!ReferenceEquals(xc, x)) xc.Dispose();
            if (bc is not null && !ReferenceEquals(bc, bias)) bc.Dispose();
        }
        return Recorder.NotDifferentiable(y, "Linear with a packed weight", x, bias);
    }

    /// <summary>torch.matmul for rank ≥ 2 operands with broadcast batch dims: [..., M, K] @ [..., K, N].</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        if (a.Rank < 2 || b.Rank < 2)
            throw new ArgumentException($"MatMul: both operands need rank ≥ 2, got {a} and {b}.");
        int m = a.Size(-2), k = a.Size(-1), n = b.Size(-1);
        if (b.Size(-2) != k)
            throw new ArgumentException($"MatMul: inner dims differ, {a} @ {b}.");

        int[] batchShape;
        try { batchShape = ShapeUtil.Broadcast(a.Shape[..^2], b.Shape[..^2]); }
        catch (ArgumentException e) { throw new ArgumentException($"MatMul: batch dims of {a} and {b} do not broadcast.", e); }
        var outShape = new int[batchShape.Length + 2];
        batchShape.CopyTo(outShape, 0);
        outShape[^2] = m; outShape[^1] = n;
        var y = Tensor.Empty(outShape);
        if (y.Numel == 0) return y;

        // A plain or transposed matrix view goes to the GEMM as is; anything else is gathered first.
        var aOp = MatrixOperand.Of(a, transposeLogical: false);
        var ac = aOp.IsView ? a : a.Contiguous();
        if (!aOp.IsView) aOp = MatrixOperand.Of(ac, transposeLogical: false);
        var bOp = MatrixOperand.Of(b, transposeLogical: false);
        var bc = bOp.IsView ? b : b.Contiguous();
        if (!bOp.IsView) bOp = MatrixOperand.Of(bc, transposeLogical: false);
        try
        {
            int batchRank = batchShape.Length;
            var aBatchStrides = BroadcastBatchStrides(ac, batchRank);
            var bBatchStrides = BroadcastBatchStrides(bc, batchRank);
            long batches = ShapeUtil.Numel(batchShape);
            var aOffsets = new long[batches];
            var bOffsets = new long[batches];
            Span<int> index = stackalloc int[batchRank];
            for (long t = 0; t < batches; t++)
            {
                long ao = 0, bo = 0;
                for (int d = 0; d < batchRank; d++) { ao += index[d] * aBatchStrides[d]; bo += index[d] * bBatchStrides[d]; }
                aOffsets[t] = ao; bOffsets[t] = bo;
                for (int d = batchRank - 1; d >= 0; d--)
                {
                    if (++index[d] < batchShape[d]) break;
                    index[d] = 0;
                }
            }
            fixed (long* aOff = aOffsets, bOff = bOffsets)
                if (!aOp.Trans && UseReducedCompute(a, b, null))
                    Bf16Gemm.GemmBatched(bOp.Trans, m, n, k, ac.Data, aOff, aOp.Ld, bc.Data, bOff, bOp.Ld, y.Data, (long)m * n, n, (int)batches);
                else
                    Gemm.SgemmBatched(aOp.Trans, bOp.Trans, m, n, k, 1f,
                    ac.Data, aOff, aOp.Ld, bc.Data, bOff, bOp.Ld, 0f, y.Data, (long)m * n, n, (int)batches);
        }
        finally
        {
            if (!ReferenceEquals(ac, a)) ac.Dispose();
            if (!ReferenceEquals(bc, b)) bc.Dispose();
        }
        return Recorder.MatMul(y, a, b);
    }

    /// <summary>Strides of <paramref name="t"/>'s batch dims right-aligned to <paramref name="batchRank"/>; broadcast dims get 0.</summary>
    private static long[] BroadcastBatchStrides(Tensor t, int batchRank)
    {
        var strides = new long[batchRank];
        int own = t.Rank - 2, lead = batchRank - own;
        for (int d = 0; d < own; d++)
            strides[lead + d] = t.Size(d) == 1 ? 0 : t.Strides[d];
        return strides;
    }

    /// <summary>
    /// How the last two dims of a tensor reach the row-major GEMM: as stored (Trans = false, unit column
    /// stride) or as the transpose of a row-major matrix (Trans = true, unit row stride), with leading
    /// dimension Ld. <paramref name="transposeLogical"/> asks for the transpose of the logical matrix.
    /// </summary>
    private readonly record struct MatrixOperand(bool IsView, bool Trans, long Ld)
    {
        public static MatrixOperand Of(Tensor t, bool transposeLogical)
        {
            int rows = t.Size(-2), cols = t.Size(-1);
            long rs = t.Strides[^2], cs = t.Strides[^1];
            if (transposeLogical) { (rows, cols) = (cols, rows); (rs, cs) = (cs, rs); }
            // Size-1 dims carry arbitrary strides in torch, so they constrain nothing.
            if ((cols <= 1 || cs == 1) && (rows <= 1 || rs >= cols))
                return new(true, false, rows <= 1 ? Math.Max(cols, 1) : rs);
            // Transposed: element (i, j) sits at i + j·cs, i.e. a row-major [cols, rows] matrix with ld = cs.
            if ((rows <= 1 || rs == 1) && (cols <= 1 || cs >= rows))
                return new(true, true, cols <= 1 ? Math.Max(rows, 1) : cs);
            return new(false, false, 0);
        }
    }
}
