using Wuerstchen.Autograd;
using Wuerstchen.Kernels;

namespace Wuerstchen.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Scaled dot-product attention, softmax(q·kᵀ·scale + mask)·v, computed blockwise with an online softmax
    /// so the Lq×Lk matrix is never materialised. q [B, H, Lq, D], k [B, H, Lk, D], v [B, H, Lk, Dv] (strided views
    /// allowed, e.g. heads split from [B, L, H·D] by reshape+permute; only the last dim must be contiguous, else it
    /// is gathered); output [B, H, Lq, Dv].
    /// <paramref name="mask"/>: optional additive mask broadcastable to [B, H, Lq, Lk] (−∞ allowed);
    /// <paramref name="causal"/> adds torch's top-left causal mask (key j visible to query i iff j ≤ i);
    /// scale defaults to 1/√D. Fully masked query rows come out NaN, as with torch's softmax.
    /// </summary>
    public static unsafe Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? mask = null, bool causal = false, float? scale = null)
    {
        const string op = "ScaledDotProductAttention";
        RequireRank(q, 4, op, "query", "[B, H, Lq, D]");
        RequireRank(k, 4, op, "key", "[B, H, Lk, D]");
        RequireRank(v, 4, op, "value", "[B, H, Lk, Dv]");
        int b = q.Shape[0], h = q.Shape[1], lq = q.Shape[2], d = q.Shape[3];
        int lk = k.Shape[2], dv = v.Shape[3];
        if (k.Shape[0] != b || k.Shape[1] != h || k.Shape[3] != d || v.Shape[0] != b || v.Shape[1] != h || v.Shape[2] != lk)
            throw new ArgumentException($"{op}: query {Show(q)}, key {Show(k)} and value {Show(v)} do not agree.");
        var y = Tensor.Empty(b, h, lq, dv);
        RunAttention(op, q, k, v, mask, causal, scale ?? 1f / MathF.Sqrt(d), y, y.Strides[0], y.Strides[1], y.Strides[2], b, h, lq, lk, d, dv);
        return Recorder.ScaledDotProductAttention(y, q, k, v, mask, causal, scale);
    }

    /// <summary>
    /// Multi-head attention on projections laid out [B, L, H·D] (head m owns channels [m·D, (m+1)·D), as diffusers'
    /// attention splits heads): q [B, Lq, H·D], k [B, Lk, H·D], v [B, Lk, H·Dv] → [B, Lq, H·Dv] with the heads already
    /// merged back, so neither the inputs nor the output are permuted or copied. Mask, causal and scale as in
    /// <see cref="ScaledDotProductAttention(Tensor, Tensor, Tensor, Tensor?, bool, float?)"/>.
    /// </summary>
    public static unsafe Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, int heads, Tensor? mask = null, bool causal = false, float? scale = null)
    {
        const string op = "ScaledDotProductAttention";
        RequireRank(q, 3, op, "query", "[B, Lq, H·D]");
        RequireRank(k, 3, op, "key", "[B, Lk, H·D]");
        RequireRank(v, 3, op, "value", "[B, Lk, H·Dv]");
        if (heads < 1 || q.Shape[2] % heads != 0 || v.Shape[2] % heads != 0)
            throw new ArgumentException($"{op}: {heads} heads do not divide the channels of query {Show(q)} / value {Show(v)}.");
        int b = q.Shape[0], lq = q.Shape[1], d = q.Shape[2] / heads, lk = k.Shape[1], dv = v.Shape[2] / heads;
        if (k.Shape[0] != b || k.Shape[2] != q.Shape[2] || v.Shape[0] != b || v.Shape[1] != lk)
            throw new ArgumentException($"{op}: query {Show(q)}, key {Show(k)} and value {Show(v)} do not agree.");
        var y = Tensor.Empty(b, lq, heads * dv);
        RunAttention(op, SplitHeads(q, heads), SplitHeads(k, heads), SplitHeads(v, heads), mask, causal,
            scale ?? 1f / MathF.Sqrt(d), y, y.Strides[0], dv, y.Strides[1], b, heads, lq, lk, d, dv);
        return Recorder.ScaledDotProductAttention(y, q, k, v, heads, mask, causal, scale);
    }

    /// <summary>[B, L, H·D] → view [B, H, L, D].</summary>
    private static Tensor SplitHeads(Tensor t, int heads) =>
        t.Reshape(t.Shape[0], t.Shape[1], heads, t.Shape[2] / heads).Permute(0, 2, 1, 3);

    private static unsafe void RunAttention(string op, Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal, float scale,
        Tensor y, long yBatch, long yHead, long yRow, int b, int h, int lq, int lk, int d, int dv)
    {
        if (y.Numel == 0) return;
        // Rows must have a contiguous last dim; anything else is gathered once.
        using var qs = RowMajor(q);
        using var ks = RowMajor(k);
        using var vs = RowMajor(v);
        using var ms = mask == null ? Dense.Borrow(null) : RowMajor(mask);
        AttentionMask? am = null;
        if (mask != null)
        {
            if (mask.Rank > 4) throw new ArgumentException($"{op}: mask {Show(mask)} has more than 4 dims.");
            Tensor m;
            try { m = ms.Tensor!.Expand(b, h, lq, lk); }
            catch (ArgumentException) { throw new ArgumentException($"{op}: mask {Show(mask)} does not broadcast to [{b}, {h}, {lq}, {lk}]."); }
            am = new AttentionMask(m.Data, m.Strides[0], m.Strides[1], m.Strides[2], (int)m.Strides[3]);
        }
        var output = new AttentionOperand(y.Data, yBatch, yHead, yRow);
        // Under --compute reduced (and nothing to record for training) both products run in bf16.
        if (UseReducedCompute(q, k, v))
            Kernels.Bf16.Bf16Attention.Forward(b, h, lq, lk, d, dv, Operand(qs.Tensor!), Operand(ks.Tensor!), Operand(vs.Tensor!), am, causal, scale, output);
        else
            Kernels.Attention.Forward(b, h, lq, lk, d, dv, Operand(qs.Tensor!), Operand(ks.Tensor!), Operand(vs.Tensor!), am, causal, scale, output);
    }

    private static unsafe AttentionOperand Operand(Tensor t) => new(t.Data, t.Strides[0], t.Strides[1], t.Strides[2]);

    /// <summary>The tensor itself when its last dim is contiguous (any other strides), else a contiguous copy.</summary>
    private static Dense RowMajor(Tensor t) =>
        t.Rank == 0 || t.Strides[^1] == 1 || t.Shape[^1] == 1 ? Dense.Borrow(t) : Dense.Own(t.Clone());
}
