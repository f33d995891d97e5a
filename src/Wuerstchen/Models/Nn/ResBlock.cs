using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// The prior's (Stage C) <c>ResBlock(c, c_skip=0, kernel_size)</c> (SPEC §2.4) on channels-last data:
/// <code>x + channelwise(LN2d(depthwise(x)))</code>
/// The class also allows a skip concatenated before the depthwise conv (c_skip &gt; 0), which Würstchen v2 never
/// uses; it is not implemented here.
/// </summary>
public sealed class ResBlock : Module
{
    private readonly DepthwiseConv _depthwise;
    private readonly ChannelwiseMlp _channelwise;

    public ResBlock(WeightSource ws, int c, int kernelSize = 3)
    {
        _depthwise = Own(new DepthwiseConv(ws.Scope("depthwise"), c, kernelSize));
        _channelwise = Own(new ChannelwiseMlp(ws.Scope("channelwise"), c, c));
    }

    /// <param name="x">[B, H, W, c]</param>
    public Tensor Forward(Tensor x)
    {
        using var mixed = _depthwise.Forward(x);
        using var normed = WuerstchenNorm.ChannelsLast(mixed);
        using var y = _channelwise.Forward(normed);
        return Ops.Add(x, y);
    }
}
