using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.EfficientNet;

/// <summary>
/// torchvision <c>SqueezeExcitation(E, S, activation=SiLU)</c>: each channel is rescaled by a gate computed from
/// the global average of all channels, <c>x · sigmoid(fc2(silu(fc1(mean_hw x))))</c>; <c>fc1</c>/<c>fc2</c> are
/// 1×1 convs with bias.
/// </summary>
internal sealed class SqueezeExcitation : Module
{
    private readonly Conv2d _fc1;
    private readonly Conv2d _fc2;

    public SqueezeExcitation(WeightSource ws, int channels, int squeezeChannels)
    {
        _fc1 = Own(new Conv2d(ws.Scope("fc1"), channels, squeezeChannels, 1));
        _fc2 = Own(new Conv2d(ws.Scope("fc2"), squeezeChannels, channels, 1));
    }

    /// <param name="x">[B, E, H, W]</param>
    public Tensor Forward(Tensor x)
    {
        using var pooled = Ops.Mean(x, [2, 3], keepDim: true);          // [B, E, 1, 1]
        using var squeezed = _fc1.Forward(pooled);
        using var activated = Ops.Silu(squeezed);
        using var excited = _fc2.Forward(activated);
        using var gate = Ops.Sigmoid(excited);
        return Ops.Mul(x, gate);
    }
}
