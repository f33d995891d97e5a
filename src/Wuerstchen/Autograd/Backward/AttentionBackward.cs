using Wuerstchen.Kernels;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd.Backward;

/// <summary>
/// Gradients of scaled dot-product attention O = softmax(s·QKᵀ + M)·V per (batch, head). The forward kernel
/// keeps no probabilities (it uses an online softmax), so the backward recomputes P = softmax(s·QKᵀ + M) one
/// head at a time (an Lq×Lk buffer per head in flight) and then:
/// ∂V = Pᵀ·G, ∂P = G·Vᵀ, ∂S = P ⊙ (∂P − rowsum(∂P ⊙ P)), ∂Q = s·∂S·K, ∂K = s·∂Sᵀ·Q.
/// Heads run in parallel; the GEMMs inside a head run serially, so sums have a fixed order.
/// </summary>
internal static unsafe class AttentionBackward
{
    public static (Tensor? Q, Tensor? K, Tensor? V) Compute(Tensor g, Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal, float scale,
        bool needQ, bool needK, bool needV)
    {
        int b = q.Shape[0], h = q.Shape[1], lq = q.Shape[2], d = q.Shape[3], lk = k.Shape[2], dv = v.Shape[3];
        using var qd = new Dense(q);
        using var kd = new Dense(k);
        using var vd = new Dense(v);
        var mv = mask?.Expand(b, h, lq, lk); // zero strides where the mask broadcasts
        var gq = needQ ? Tensor.Empty(q.Shape) : null;
        var gk = needK ? Tensor.Empty(k.Shape) : null;
        var gv = needV ? Tensor.Empty(v.Shape) : null;
        float* qp = qd.Data, kp = kd.Data, vp = vd.Data, gp = g.Data;
        float* gqp = gq is null ? null : gq.Data, gkp = gk is null ? null : gk.Data, gvp = gv is null ? null : gv.Data;
        float* mp = mv is null ? null : mv.Data;
        long ms0 = mv?.Strides[0] ?? 0, ms1 = mv?.Strides[1] ?? 0, ms2 = mv?.Strides[2] ?? 0, ms3 = mv?.Strides[3] ?? 0;

        Threads.For(b * h, bh =>
        {
            int bi = bh / h, hi = bh % h;
            float* qh = qp + (long)bh * lq * d, kh = kp + (long)bh * lk * d, vh = vp + (long)bh * lk * dv, gh = gp + (long)bh * lq * dv;
            using var probs = Tensor.Empty(lq, lk);
            using var dprobs = Tensor.Empty(lq, lk);
            float* p = probs.Data, dp = dprobs.Data;

            Gemm.Sgemm(false, true, lq, lk, d, scale, qh, d, kh, d, 0f, p, lk);
            for (int i = 0; i < lq; i++)
            {
                float* row = p + (long)i * lk;
                if (mp is not null)
                {
                    float* mrow = mp + bi * ms0 + hi * ms1 + i * ms2;
                    for (int j = 0; j < lk; j++) row[j] += mrow[j * ms3];
                }
                if (causal) for (int j = i + 1; j < lk; j++) row[j] = float.NegativeInfinity;
                SoftmaxRow(row, lk);
            }
            if (gvp is not null) Gemm.Sgemm(true, false, lk, dv, lq, 1f, p, lk, gh, dv, 0f, gvp + (long)bh * lk * dv, dv);
            if (gqp is null && gkp is null) return;
            Gemm.Sgemm(false, true, lq, lk, dv, 1f, gh, dv, vh, dv, 0f, dp, lk);
            for (int i = 0; i < lq; i++)
            {
                var pr = new Span<float>(p + (long)i * lk, lk);
                var dr = new Span<float>(dp + (long)i * lk, lk);
                float dot = TensorPrimitives.Dot(dr, pr);
                TensorPrimitives.Subtract(dr, dot, dr);
                TensorPrimitives.Multiply(dr, pr, dr);
            }
            if (gqp is not null) Gemm.Sgemm(false, false, lq, d, lk, scale, dp, lk, kh, d, 0f, gqp + (long)bh * lq * d, d);
            if (gkp is not null) Gemm.Sgemm(true, false, lk, d, lq, scale, dp, lk, qh, d, 0f, gkp + (long)bh * lk * d, d);
        });
        return (gq, gk, gv);
    }

    /// <summary>In-place softmax of one row (vectorised); a row masked entirely (all −∞) becomes zeros rather than NaN.</summary>
    private static void SoftmaxRow(float* p, int n)
    {
        var row = new Span<float>(p, n);
        float max = float.NegativeInfinity;
        foreach (var v in row) if (v > max) max = v;
        if (float.IsNegativeInfinity(max)) { row.Clear(); return; }
        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        TensorPrimitives.Multiply(row, 1f / TensorPrimitives.Sum(row), row);
    }
}
