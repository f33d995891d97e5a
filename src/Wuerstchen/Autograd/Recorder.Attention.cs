using Wuerstchen.Autograd.Backward;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd;

public static partial class Recorder
{
    /// <summary>
    /// y = softmax(q·kᵀ·scale + mask [+ causal])·v on [B, H, L, D]. The additive mask is a constant (padding or
    /// causal structure): a mask that tracks gradients is rejected rather than silently given none.
    /// </summary>
    public static void ScaledDotProductAttention(Tensor y, Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal, float? scale)
    {
        if (!Tape.ShouldRecord(q, k, v)) return;
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
    }
}
