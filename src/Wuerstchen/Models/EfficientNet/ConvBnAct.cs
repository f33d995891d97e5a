using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.EfficientNet;

/// <summary>
/// torchvision <c>Conv2dNormActivation</c>: <c>{0}</c> a bias-free k×k conv with padding (k − 1)/2 (optionally
/// grouped, e.g. depthwise), <c>{1}</c> BatchNorm, then SiLU unless it is a projection.
/// </summary>
internal sealed class ConvBnAct : Module
{
    private readonly Conv2d _conv;
    private readonly BatchNorm _norm;
    private readonly bool _activation;

    public ConvBnAct(WeightSource ws, int inChannels, int outChannels, int kernelSize, int stride, float eps,
        int groups = 1, bool activation = true)
    {
        _conv = Own(new Conv2d(ws.Scope("0"), inChannels, outChannels, kernelSize, stride, (kernelSize - 1) / 2, groups, bias: false));
        _norm = Own(new BatchNorm(ws.Scope("1"), outChannels, eps));
        _activation = activation;
    }

    public Tensor Forward(Tensor x, EfficientNetPass pass)
    {
        using var convolved = _conv.Forward(x);
        var normalized = _norm.Forward(convolved, pass.Training);
        if (!_activation) return normalized;
        using (normalized) return Ops.Silu(normalized);
    }
}
