using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// Stage B's <c>ResBlockStageB(c, c_skip, kernel_size)</c> (SPEC §2.4) on channels-last data: the skip is
/// concatenated <b>after</b> depthwise conv + LayerNorm2d, so the first channelwise Linear takes c + c_skip inputs.
/// <code>x + channelwise(cat[LN2d(depthwise(x)), skip])</code>
/// Built with an <see cref="InputMap"/> (inference), the skip's trailing <c>map.MappedFeatures</c> channels are that
/// map of a narrower input, folded into the first Linear: <see cref="Forward(Tensor, Tensor?, Tensor)"/> takes the
/// map's input instead of its output.
/// </summary>
public sealed class ResBlockStageB : Module
{
    private readonly DepthwiseConv _depthwise;
    private readonly ChannelwiseMlp _channelwise;

    public int C { get; }
    public int CSkip { get; }

    /// <summary>The folded map of the skip's trailing channels, or null.</summary>
    public InputMap? SkipMap { get; }

    public ResBlockStageB(WeightSource ws, int c, int cSkip = 0, int kernelSize = 3, InputMap? skipMap = null)
    {
        if (skipMap is not null && skipMap.MappedFeatures > cSkip)
            throw new ArgumentException($"ResBlockStageB(c={c}, c_skip={cSkip}): the skip map yields {skipMap.MappedFeatures} channels.", nameof(skipMap));
        C = c;
        CSkip = cSkip;
        SkipMap = skipMap;
        _depthwise = Own(new DepthwiseConv(ws.Scope("depthwise"), c, kernelSize));
        _channelwise = Own(new ChannelwiseMlp(ws.Scope("channelwise"), c + cSkip, c, skipMap));
    }

    /// <param name="x">[B, H, W, c]</param>
    /// <param name="skip">[B, H, W, c_skip], required exactly when the block was built with c_skip &gt; 0</param>
    public Tensor Forward(Tensor x, Tensor? skip = null)
    {
        if (SkipMap is not null)
            throw new InvalidOperationException($"ResBlockStageB(c={C}, c_skip={CSkip}): built with a folded skip map; call Forward(x, skip, mapInput).");
        int skipChannels = skip?.Size(3) ?? 0;
        if (skipChannels != CSkip)
            throw new ArgumentException($"ResBlockStageB(c={C}, c_skip={CSkip}): got a skip with {skipChannels} channels ({skip?.ToString() ?? "none"}).", nameof(skip));
        return Residual(x, skip, joined => _channelwise.Forward(joined));
    }

    /// <summary>The block built with a <see cref="SkipMap"/>: the skip is cat[<paramref name="skip"/>, map(<paramref name="mapInput"/>)].</summary>
    /// <param name="x">[B, H, W, c]</param>
    /// <param name="skip">[B, H, W, c_skip − mapped], or null when the whole skip is mapped</param>
    /// <param name="mapInput">[B, H, W, narrow]</param>
    public Tensor Forward(Tensor x, Tensor? skip, Tensor mapInput)
    {
        if (SkipMap is null)
            throw new InvalidOperationException($"ResBlockStageB(c={C}, c_skip={CSkip}): built without a skip map; call Forward(x, skip).");
        int direct = CSkip - SkipMap.MappedFeatures;
        if ((skip?.Size(3) ?? 0) != direct || mapInput.Size(-1) != SkipMap.NarrowFeatures)
            throw new ArgumentException($"ResBlockStageB(c={C}, c_skip={CSkip}): expected a direct skip of {direct} channels and a map input of {SkipMap.NarrowFeatures}, got {skip?.ToString() ?? "none"} and {mapInput}.");
        return Residual(x, skip, joined => _channelwise.Forward(joined, mapInput));
    }

    private Tensor Residual(Tensor x, Tensor? skip, Func<Tensor, Tensor> channelwise)
    {
        using var mixed = _depthwise.Forward(x);
        using var normed = WuerstchenNorm.ChannelsLast(mixed);
        using var joined = skip is null ? null : Ops.Cat([normed, skip], 3);
        using var y = channelwise(joined ?? normed);
        return Ops.Add(x, y);
    }
}
