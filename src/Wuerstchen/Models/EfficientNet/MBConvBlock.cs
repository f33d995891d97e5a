using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.EfficientNet;

/// <summary>
/// torchvision <c>MBConv</c> (keys <c>block.{i}</c>, numbered in order, the expansion absent when the ratio is 1):
/// 1×1 expand + BN + SiLU, k×k depthwise conv (carrying the stride) + BN + SiLU, squeeze-excitation (squeeze width
/// <c>max(1, in // 4)</c>), 1×1 projection + BN. Residual (through stochastic depth) when the stride is 1 and the
/// width is unchanged.
/// </summary>
internal sealed class MBConvBlock : Module
{
    private readonly ConvBnAct? _expand;
    private readonly ConvBnAct _depthwise;
    private readonly SqueezeExcitation _squeezeExcitation;
    private readonly ConvBnAct _project;
    private readonly bool _residual;
    private readonly double _dropProb;

    public MBConvBlock(WeightSource ws, EfficientNetStage stage, int index, float eps, double dropProb)
    {
        int inChannels = stage.BlockInChannels(index), stride = stage.BlockStride(index);
        int expanded = stage.ExpandedChannels(inChannels);
        var block = ws.Scope("block");
        int next = 0;
        if (expanded != inChannels)
            _expand = Own(new ConvBnAct(block.Scope($"{next++}"), inChannels, expanded, 1, 1, eps));
        _depthwise = Own(new ConvBnAct(block.Scope($"{next++}"), expanded, expanded, stage.Kernel, stride, eps, groups: expanded));
        _squeezeExcitation = Own(new SqueezeExcitation(block.Scope($"{next++}"), expanded, EfficientNetStage.SqueezeChannels(inChannels)));
        _project = Own(new ConvBnAct(block.Scope($"{next}"), expanded, stage.OutChannels, 1, 1, eps, activation: false));
        _residual = stride == 1 && inChannels == stage.OutChannels;
        _dropProb = dropProb;
    }

    public Tensor Forward(Tensor x, EfficientNetPass pass)
    {
        using var expanded = _expand?.Forward(x, pass);
        using var mixed = _depthwise.Forward(expanded ?? x, pass);
        using var excited = _squeezeExcitation.Forward(mixed);
        var projected = _project.Forward(excited, pass);
        return _residual ? Residual.Add(x, projected, _dropProb, pass) : projected;
    }
}
