using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.EfficientNet;

/// <summary>
/// torchvision <c>FusedMBConv</c> (keys <c>block.{i}.{0,1}</c>): with expansion, a k×k conv to the hidden width
/// (carrying the stride) + BN + SiLU and a 1×1 projection + BN; without, a single k×k conv + BN + SiLU.
/// Residual (through stochastic depth) when the stride is 1 and the width is unchanged.
/// </summary>
internal sealed class FusedMBConvBlock : Module
{
    private readonly ConvBnAct[] _layers;
    private readonly bool _residual;
    private readonly double _dropProb;

    public FusedMBConvBlock(WeightSource ws, EfficientNetStage stage, int index, float eps, double dropProb)
    {
        int inChannels = stage.BlockInChannels(index), stride = stage.BlockStride(index);
        int expanded = stage.ExpandedChannels(inChannels);
        var block = ws.Scope("block");
        _layers = expanded != inChannels
            ?
            [
                Own(new ConvBnAct(block.Scope("0"), inChannels, expanded, stage.Kernel, stride, eps)),
                Own(new ConvBnAct(block.Scope("1"), expanded, stage.OutChannels, 1, 1, eps, activation: false)),
            ]
            : [Own(new ConvBnAct(block.Scope("0"), inChannels, stage.OutChannels, stage.Kernel, stride, eps))];
        _residual = stride == 1 && inChannels == stage.OutChannels;
        _dropProb = dropProb;
    }

    public Tensor Forward(Tensor x, EfficientNetPass pass)
    {
        var h = _layers[0].Forward(x, pass);
        for (int i = 1; i < _layers.Length; i++)
        {
            using var previous = h;
            h = _layers[i].Forward(previous, pass);
        }
        return _residual ? Residual.Add(x, h, _dropProb, pass) : h;
    }
}

/// <summary>The residual add shared by both block types: <c>x + stochastic_depth(branch)</c>; consumes the branch.</summary>
internal static class Residual
{
    public static Tensor Add(Tensor x, Tensor branch, double dropProb, EfficientNetPass pass)
    {
        using (branch)
        {
            var dropped = pass.DropPath(branch, dropProb);
            using (ReferenceEquals(dropped, branch) ? null : dropped)
                return Ops.Add(dropped, x);
        }
    }
}
