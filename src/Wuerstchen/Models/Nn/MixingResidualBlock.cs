using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// Stage A's <c>MixingResidualBlock(c, embed_dim)</c> (SPEC §2.10) on channels-last data: two gated residual
/// branches modulated by six learned scalars <c>gammas</c>; the depthwise conv pads by <b>replication</b>
/// (<c>depthwise.0</c> is ReplicationPad2d(1)), the channel MLP is Linear · GELU · Linear (<c>channelwise.{0,2}</c>).
/// <code>
/// x = x + depthwise(LN(x)·(1 + g0) + g1)·g2
/// x = x + channelwise(LN(x)·(1 + g3) + g4)·g5
/// </code>
/// </summary>
public sealed class MixingResidualBlock : Module
{
    private readonly DepthwiseConv _depthwise;
    private readonly Linear _expand, _project;
    private readonly float[] _g;

    public MixingResidualBlock(WeightSource ws, int c, int embedDim)
    {
        _g = LoadWeight(ws, "gammas", 6).ToArray();
        _depthwise = Own(new DepthwiseConv(ws.Scope("depthwise.1"), c, 3, PadMode.Replicate));
        _expand = Own(new Linear(ws.Scope("channelwise.0"), c, embedDim));
        _project = Own(new Linear(ws.Scope("channelwise.2"), embedDim, c));
    }

    /// <param name="x">[B, H, W, c]</param>
    public Tensor Forward(Tensor x)
    {
        Tensor afterMix;
        {
            using var modulated = Modulate(x, _g[0], _g[1]);
            using var mixed = _depthwise.Forward(modulated);
            using var gated = Ops.Mul(mixed, _g[2]);
            afterMix = Ops.Add(x, gated);
        }
        using (afterMix)
        {
            using var modulated = Modulate(afterMix, _g[3], _g[4]);
            using var expanded = _expand.Forward(modulated);
            using var activated = Ops.Gelu(expanded);
            using var projected = _project.Forward(activated);
            using var gated = Ops.Mul(projected, _g[5]);
            return Ops.Add(afterMix, gated);
        }
    }

    /// <summary>LayerNorm over C (no affine, eps 1e-6), then ·(1 + scale) + shift.</summary>
    private static Tensor Modulate(Tensor x, float scale, float shift)
    {
        using var normed = WuerstchenNorm.ChannelsLast(x);
        using var scaled = Ops.Mul(normed, 1f + scale);
        return Ops.Add(scaled, shift);
    }
}
