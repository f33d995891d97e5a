namespace Wuerstchen.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Scaled dot-product attention, softmax(q·kᵀ·scale + mask)·v, computed blockwise with an online softmax
    /// so the Lq×Lk matrix is never materialised. q [B, H, Lq, D], k/v [B, H, Lk, D] (strided views allowed,
    /// e.g. heads split from [B, L, H·D] by reshape+permute); output [B, H, Lq, D].
    /// <paramref name="mask"/>: optional additive mask broadcastable to [B, H, Lq, Lk] (−∞ allowed);
    /// <paramref name="causal"/> adds the causal mask; scale defaults to 1/√D.
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? mask = null, bool causal = false, float? scale = null)
        => throw new NotImplementedException();
}
