using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// The prior's (Stage C) <c>ResBlock(c, c_skip, kernel_size)</c> (SPEC §2.4): the skip is concatenated
/// <b>before</b> the depthwise conv, whose weight therefore grows to [c, (c + c_skip)/c, k, k].
/// <code>x + channelwise(LN2d(depthwise(cat[x, skip])))</code>
/// </summary>
public sealed class ResBlock : Module
{
    private readonly Conv2d _depthwise;
    private readonly ChannelwiseMlp _channelwise;

    public ResBlock(WeightSource ws, int c, int cSkip = 0, int kernelSize = 3)
    {
        _depthwise = Own(new Conv2d(ws.Scope("depthwise"), c + cSkip, c, kernelSize, padding: kernelSize / 2, groups: c));
        _channelwise = Own(new ChannelwiseMlp(ws.Scope("channelwise"), c, c));
    }

    public Tensor Forward(Tensor x, Tensor? skip = null)
    {
        using var joined = skip is null ? null : Ops.Cat([x, skip], 1);
        using var mixed = _depthwise.Forward(joined ?? x);
        // LayerNorm2d is a LayerNorm over C: normalising the NHWC view yields the channels-last layout the MLP needs.
        using var normed = WuerstchenNorm.ChannelsLast(mixed.Permute(0, 2, 3, 1));
        using var y = _channelwise.Forward(normed);
        return Ops.Add(x, y.Permute(0, 3, 1, 2));
    }
}
