using Wuerstchen.Autograd.Backward;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd;

public static partial class Recorder
{
    /// <summary>
    /// y = softmax(q·kᵀ·scale + mask [+ causal])·v on [B, H, L, D]. The additive mask is a constant (padding or
    /// causal structure): a mask that tracks gradients is rejected rather than silently given none.
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor y, Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal, float? scale)
    {
        if (!Tape.ShouldRecord(q, k, v)) return y;
        if (Tape.TracksGrad(mask))
            throw new NotSupportedException("ScaledDotProductAttention backward: the attention mask tracks gradients; pass a detached mask.");
        float s = scale ?? 1f / MathF.Sqrt(q.Shape[^1]);
        bool hasMask = mask is not null;
        Tape.Record(y, "ScaledDotProductAttention", [q, k, v], [q, k, v, mask], (hasMask, causal, s), static (g, n, p) =>
        {
            var (gq, gk, gv) = AttentionBackward.Compute(g, n.Saved(0), n.Saved(1), n.Saved(2), p.hasMask ? n.Saved(3) : null, p.causal, p.s,
                n.NeedsGrad(0), n.NeedsGrad(1), n.NeedsGrad(2));
            return [gq, gk, gv];
        });
        return y;
    }

    /// <summary>
    /// The merged-heads form: q [B, Lq, H·D], k [B, Lk, H·D], v [B, Lk, H·Dv] → y [B, Lq, H·Dv], head m owning channels
    /// [m·D, (m + 1)·D). The gradients are those of the split-heads attention, laid back out as [B, L, H·D].
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor y, Tensor q, Tensor k, Tensor v, int heads, Tensor? mask, bool causal, float? scale)
    {
        if (!Tape.ShouldRecord(q, k, v)) return y;
        if (Tape.TracksGrad(mask))
            throw new NotSupportedException("ScaledDotProductAttention backward: the attention mask tracks gradients; pass a detached mask.");
        float s = scale ?? 1f / MathF.Sqrt(q.Shape[^1] / heads);
        bool hasMask = mask is not null;
        Tape.Record(y, "ScaledDotProductAttention", [q, k, v], [q, k, v, mask], (hasMask, causal, s, heads), static (g, n, p) =>
        {
            using var gh = SplitHeads(g, p.heads).Clone();
            var (gq, gk, gv) = AttentionBackward.Compute(gh, SplitHeads(n.Saved(0), p.heads), SplitHeads(n.Saved(1), p.heads), SplitHeads(n.Saved(2), p.heads),
                p.hasMask ? n.Saved(3) : null, p.causal, p.s, n.NeedsGrad(0), n.NeedsGrad(1), n.NeedsGrad(2));
            return [MergeHeads(gq), MergeHeads(gk), MergeHeads(gv)];
        });
        return y;
    }

    /// <summary>[B, L, H·D] → view [B, H, L, D].</summary>
    private static Tensor SplitHeads(Tensor t, int heads) =>
        t.Reshape(t.Shape[0], t.Shape[1], heads, t.Shape[2] / heads).Permute(0, 2, 1, 3);

    /// <summary>[B, H, L, D] → a new [B, L, H·D] tensor (the source is freed).</summary>
    private static Tensor? MergeHeads(Tensor? t)
    {
        if (t is null) return null;
        var permuted = t.Permute(0, 2, 1, 3);
        // A strided view is copied by Reshape into a tensor that owns its memory; with one head (or one position) the
        // permutation is still contiguous and Reshape would return a view of t, so copy explicitly.
        var merged = permuted.IsContiguous
            ? permuted.Reshape(t.Shape[0], t.Shape[2], t.Shape[1] * t.Shape[3]).Clone()
            : permuted.Reshape(t.Shape[0], t.Shape[2], t.Shape[1] * t.Shape[3]);
        t.Dispose();
        return merged;
    }
}
