using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// A depthwise <c>Conv2d(c, c, k, groups=c)</c> (weight [c, 1, k, k], bias [c]) on channels-last data, stride 1,
/// "same" padding k/2 — zeros in Würstchen's ResBlocks, replication in Stage A's blocks.
/// </summary>
public sealed class DepthwiseConv : Module
{
    private readonly Tensor _weight;
    private readonly Tensor _bias;
    private readonly PadMode _padMode;

    public DepthwiseConv(WeightSource ws, int channels, int kernelSize, PadMode padMode = PadMode.Zeros)
    {
        if (kernelSize % 2 == 0) throw new ArgumentException($"{ws.Key("weight")}: 'same' padding needs an odd kernel, got {kernelSize}.");
        _padMode = padMode;
        _weight = LoadWeight(ws, "weight", channels, 1, kernelSize, kernelSize);
        _bias = LoadWeight(ws, "bias", channels);
    }

    /// <param name="x">[B, H, W, c]</param>
    public Tensor Forward(Tensor x) => Ops.DepthwiseConv2dChannelsLast(x, _weight, _bias, _weight.Size(2) / 2, _padMode);
}
