using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// Multi-head attention with separate biased projections, keys <c>to_q</c>, <c>to_k</c>, <c>to_v</c>,
/// <c>to_out.0</c> (diffusers <c>Attention(query_dim=c, heads, dim_head=c/heads, bias=True)</c>): queries from
/// one token sequence, keys and values from another, no mask, softmax scale d^-1/2.
/// </summary>
public sealed class Attention : Module
{
    private readonly Linear _toQ, _toK, _toV, _toOut;

    public int Heads { get; }

    public Attention(WeightSource ws, int c, int heads)
    {
        if (heads < 1 || c % heads != 0) throw new ArgumentException($"{ws}: {heads} heads do not divide {c} channels.");
        Heads = heads;
        _toQ = Own(new Linear(ws.Scope("to_q"), c, c));
        _toK = Own(new Linear(ws.Scope("to_k"), c, c));
        _toV = Own(new Linear(ws.Scope("to_v"), c, c));
        _toOut = Own(new Linear(ws.Scope("to_out.0"), c, c));
    }

    /// <param name="query">tokens [B, Lq, c]</param>
    /// <param name="context">tokens [B, Lk, c] that keys and values are projected from</param>
    /// <returns>[B, Lq, c]</returns>
    public Tensor Forward(Tensor query, Tensor context)
    {
        using var q = _toQ.Forward(query);
        using var k = _toK.Forward(context);
        using var v = _toV.Forward(context);
        using var o = Ops.ScaledDotProductAttention(SplitHeads(q, Heads), SplitHeads(k, Heads), SplitHeads(v, Heads));
        using var merged = MergeHeads(o);
        return _toOut.Forward(merged);
    }

    /// <summary>[B, L, h·d] (contiguous) → view [B, h, L, d]; head m owns channels [m·d, (m+1)·d).</summary>
    internal static Tensor SplitHeads(Tensor x, int heads) =>
        x.Reshape(x.Size(0), x.Size(1), heads, x.Size(2) / heads).Permute(0, 2, 1, 3);

    /// <summary>[B, h, L, d] → new contiguous [B, L, h·d].</summary>
    internal static Tensor MergeHeads(Tensor o) =>
        o.Permute(0, 2, 1, 3).Reshape(o.Size(0), o.Size(2), o.Size(1) * o.Size(3));
}
