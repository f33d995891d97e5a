using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// Stage A's <c>MixingResidualBlock(c, embed_dim)</c> (SPEC §2.10): two gated residual branches modulated by six
/// learned scalars <c>gammas</c>; the depthwise conv pads by <b>replication</b> (<c>depthwise.0</c> is
/// ReplicationPad2d(1)), the channel MLP is Linear · GELU · Linear (<c>channelwise.{0,2}</c>).
/// <code>
/// x = x + depthwise(LN(x)·(1 + g0) + g1)·g2
/// x = x + channelwise(LN(x)·(1 + g3) + g4)·g5
/// </code>
/// </summary>
public sealed class MixingResidualBlock : Module
{
    private readonly Conv2d _depthwise;
    private readonly Linear _expand, _project;
    private readonly float[] _g;

    public MixingResidualBlock(WeightSource ws, int c, int embedDim)
    {
        _g = LoadWeight(ws, "gammas", 6).ToArray();
        _depthwise = Own(new Conv2d(ws.Scope("depthwise.1"), c, c, 3, padding: 0, groups: c));
        _expand = Own(new Linear(ws.Scope("channelwise.0"), c, embedDim));
        _project = Own(new Linear(ws.Scope("channelwise.2"), embedDim, c));
    }

    /// <param name="x">[B, c, H, W]</param>
    public Tensor Forward(Tensor x)
    {
        Tensor afterMix;
        {
            using var normed = WuerstchenNorm.ChannelsLast(x.Permute(0, 2, 3, 1));   // NHWC
            using var scaled = Ops.Mul(normed, 1f + _g[0]);
            using var shifted = Ops.Add(scaled, _g[1]);
            using var padded = Ops.Pad2d(shifted.Permute(0, 3, 1, 2), 1, 1, 1, 1, PadMode.Replicate);
            using var mixed = _depthwise.Forward(padded);
            using var gated = Ops.Mul(mixed, _g[2]);
            afterMix = Ops.Add(x, gated);
        }
        using (afterMix)
        {
            using var normed = WuerstchenNorm.ChannelsLast(afterMix.Permute(0, 2, 3, 1));
            using var scaled = Ops.Mul(normed, 1f + _g[3]);
            using var shifted = Ops.Add(scaled, _g[4]);
            using var expanded = _expand.Forward(shifted);
            using var activated = Ops.Gelu(expanded);
            using var projected = _project.Forward(activated);
            using var gated = Ops.Mul(projected, _g[5]);
            return Ops.Add(afterMix, gated.Permute(0, 3, 1, 2));
        }
    }
}
