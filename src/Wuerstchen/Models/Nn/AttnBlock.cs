using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// <c>AttnBlock(c, c_cond, nhead, self_attn=True)</c> (SPEC §2.6) on channels-last data: image tokens attend to
/// <b>[their own normalised values ; the mapped condition]</b>; the condition goes through SiLU then Linear
/// (<c>kv_mapper.1</c>). Queries are the normalised image tokens only.
/// <code>x + Attention(LN2d(x), cat[LN2d(x), kv_mapper(cond)])</code>
/// </summary>
public sealed class AttnBlock : Module
{
    private readonly Linear _kvMapper;
    private readonly Attention _attention;

    public AttnBlock(WeightSource ws, int c, int cCond, int nhead)
    {
        _kvMapper = Own(new Linear(ws.Scope("kv_mapper.1"), cCond, c));
        _attention = Own(new Attention(ws.Scope("attention"), c, nhead));
    }

    /// <param name="x">[B, H, W, c]</param>
    /// <param name="cond">[B, L, c_cond]</param>
    public Tensor Forward(Tensor x, Tensor cond)
    {
        using var prepared = PrepareCondition(cond);
        return Forward(x, prepared);
    }

    /// <summary>
    /// The condition's share of the block, which does not change between sampling steps: the keys and values of
    /// <c>kv_mapper(cond)</c> [B, L, c]. <see cref="Forward(Tensor, ProjectedKeysValues)"/> then skips the SiLU, the
    /// mapper and those two projections.
    /// </summary>
    public ProjectedKeysValues PrepareCondition(Tensor cond)
    {
        using var activated = Ops.Silu(cond);
        using var kv = _kvMapper.Forward(activated);
        return _attention.ProjectKeysValues(kv);
    }

    /// <summary><see cref="Forward(Tensor, Tensor)"/> with the condition prepared by <see cref="PrepareCondition"/>.</summary>
    public Tensor Forward(Tensor x, ProjectedKeysValues cond)
    {
        int batch = x.Size(0), h = x.Size(1), w = x.Size(2), c = x.Size(3);
        using var normed = WuerstchenNorm.ChannelsLast(x);               // [B, H, W, c]
        var tokens = normed.Reshape(batch, h * w, c);                    // token index h·W + w, as diffusers flattens
        using var attended = _attention.Forward(tokens, cond);           // [B, H·W, c]
        return Ops.Add(x, attended.Reshape(batch, h, w, c));
    }
}
