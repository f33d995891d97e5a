using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// Stage B's <c>ResBlockStageB(c, c_skip, kernel_size)</c> (SPEC §2.4) on channels-last data: the skip is
/// concatenated <b>after</b> depthwise conv + LayerNorm2d, so the first channelwise Linear takes c + c_skip inputs.
/// <code>x + channelwise(cat[LN2d(depthwise(x)), skip])</code>
/// </summary>
public sealed class ResBlockStageB : Module
{
    private readonly DepthwiseConv _depthwise;
    private readonly ChannelwiseMlp _channelwise;

    public int C { get; }
    public int CSkip { get; }

    public ResBlockStageB(WeightSource ws, int c, int cSkip = 0, int kernelSize = 3)
    {
        C = c;
        CSkip = cSkip;
        _depthwise = Own(new DepthwiseConv(ws.Scope("depthwise"), c, kernelSize));
        _channelwise = Own(new ChannelwiseMlp(ws.Scope("channelwise"), c + cSkip, c));
    }

    /// <param name="x">[B, H, W, c]</param>
    /// <param name="skip">[B, H, W, c_skip], required exactly when the block was built with c_skip &gt; 0</param>
    public Tensor Forward(Tensor x, Tensor? skip = null)
    {
        int skipChannels = skip?.Size(3) ?? 0;
        if (skipChannels != CSkip)
            throw new ArgumentException($"ResBlockStageB(c={C}, c_skip={CSkip}): got a skip with {skipChannels} channels ({skip?.ToString() ?? "none"}).", nameof(skip));
        using var mixed = _depthwise.Forward(x);
        using var normed = WuerstchenNorm.ChannelsLast(mixed);
        using var joined = skip is null ? null : Ops.Cat([normed, skip], 3);
        using var y = _channelwise.Forward(joined ?? normed);
        return Ops.Add(x, y);
    }
}
