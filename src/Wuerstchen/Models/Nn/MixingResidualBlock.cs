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
    private readonly Tensor _gammas;

    public MixingResidualBlock(WeightSource ws, int c, int embedDim)
    {
        _gammas = LoadWeight(ws, "gammas", 6);
        _depthwise = Own(new DepthwiseConv(ws.Scope("depthwise.1"), c, 3, PadMode.Replicate));
        _expand = Own(new Linear(ws.Scope("channelwise.0"), c, embedDim));
        _project = Own(new Linear(ws.Scope("channelwise.2"), embedDim, c));
    }

    /// <param name="x">[B, H, W, c]</param>
    public Tensor Forward(Tensor x)
    {
        Tensor afterMix;
        using (var modulated = Modulate(x, 0))
        using (var mixed = _depthwise.Forward(modulated))
            afterMix = GatedResidual(x, mixed, 2);
        if (!Autograd.Tape.ShouldRecord(afterMix, _gammas)) return ChannelwiseInRowBlocks(afterMix);
        using (afterMix)
        {
            using var modulated = Modulate(afterMix, 3);
            using var expanded = _expand.Forward(modulated);
            using var activated = Ops.Gelu(expanded);
            using var projected = _project.Forward(activated);
            return GatedResidual(afterMix, projected, 5);
        }
    }

    /// <summary>Pixels per block of <see cref="ChannelwiseInRowBlocks"/>: M = 4096 keeps the GEMMs at full speed.</summary>
    internal const int RowBlock = 4096;

    /// <summary>
    /// The second branch for inference, <see cref="RowBlock"/> pixels at a time and in place in
    /// <paramref name="afterMix"/> (the first branch's fresh output, returned as the block's): the MLP and its norm
    /// act on each pixel alone, so a block's rows can be overwritten once their MLP has read them, and the 4×-wide
    /// hidden activation exists only for one block (at 1024² the last level's would be 805 MB, twice).
    /// </summary>
    private Tensor ChannelwiseInRowBlocks(Tensor afterMix)
    {
        try
        {
            int c = afterMix.Size(-1), pixels = checked((int)(afterMix.Numel / c));
            using var rowsOfAll = afterMix.Reshape(pixels, c);
            for (int p0 = 0; p0 < pixels; p0 += RowBlock)
            {
                using var rows = rowsOfAll.Narrow(0, p0, Math.Min(RowBlock, pixels - p0));
                using var modulated = Modulate(rows, 3);
                using var hidden = _expand.Forward(modulated);
                Ops.GeluInPlace(hidden);
                using var projected = _project.Forward(hidden);
                Ops.AddScaledInPlace(rows, projected, _gammas[5]);
            }
            return afterMix;
        }
        catch
        {
            afterMix.Dispose();
            throw;
        }
    }

    // Inference reads the gammas as scalars (cheapest ops); under a recording tape they stay tensors so they get gradients.
    private bool TrainingGammas => Autograd.Tape.ShouldRecord(_gammas);

    private Tensor Gamma(int i) => _gammas.Narrow(0, i, 1);

    /// <summary><c>x + y·gammas[i]</c>: one fused pass for inference.</summary>
    private Tensor GatedResidual(Tensor x, Tensor y, int i)
    {
        if (!TrainingGammas) return Ops.AddScaled(x, y, _gammas[i]);
        using var g = Gamma(i);
        using var gated = Ops.Mul(y, g);
        return Ops.Add(x, gated);
    }

    /// <summary>LayerNorm over C (no affine, eps 1e-6), then ·(1 + gammas[i]) + gammas[i + 1].</summary>
    private Tensor Modulate(Tensor x, int i)
    {
        if (!TrainingGammas)
        {
            // The scalar modulation as the norm's affine: one pass over x instead of three.
            int c = x.Size(-1);
            using var scale = Tensor.Full(1f + _gammas[i], c);
            using var shift = Tensor.Full(_gammas[i + 1], c);
            return Ops.LayerNorm(x, scale, shift, WuerstchenNorm.Eps);
        }
        using var normed = WuerstchenNorm.ChannelsLast(x);
        using var scaleT = Gamma(i);
        using var shiftT = Gamma(i + 1);
        using var onePlus = Ops.Add(scaleT, 1f);
        using var scaled = Ops.Mul(normed, onePlus);
        return Ops.Add(scaled, shiftT);
    }
}
