using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>torch.nn.Conv2d on NCHW with square kernel/stride/padding: <c>weight [out, in/groups, k, k]</c>, <c>bias [out]</c>.</summary>
public sealed class Conv2d : Module
{
    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int Groups { get; }

    public Conv2d(WeightSource ws, int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int groups = 1, bool bias = true)
    {
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{ws.Key("weight")}: groups {groups} must divide in ({inChannels}) and out ({outChannels}) channels.");
        Stride = stride;
        Padding = padding;
        Groups = groups;
        Weight = LoadWeight(ws, "weight", outChannels, inChannels / groups, kernelSize, kernelSize);
        Bias = bias ? LoadWeight(ws, "bias", outChannels) : null;
    }

    public Tensor Forward(Tensor x) =>
        Ops.Conv2d(x, Weight, Bias, stride: (Stride, Stride), padding: (Padding, Padding), dilation: (1, 1), groups: Groups);

    /// <summary>The same convolution on channels-last x[B, H, W, C], giving [B, OH, OW, out] (groups 1 only).</summary>
    public Tensor ForwardChannelsLast(Tensor x) => Groups == 1
        ? Ops.Conv2dChannelsLast(x, Weight, Bias, Stride, Padding)
        : throw new InvalidOperationException($"Conv2d.ForwardChannelsLast: grouped convolutions (groups {Groups}) run on NCHW only.");
}

/// <summary>torch.nn.ConvTranspose2d on NCHW with square kernel/stride/padding: <c>weight [in, out, k, k]</c>, <c>bias [out]</c>.</summary>
public sealed class ConvTranspose2d : Module
{
    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public int Stride { get; }
    public int Padding { get; }

    public ConvTranspose2d(WeightSource ws, int inChannels, int outChannels, int kernelSize, int stride, int padding = 0, bool bias = true)
    {
        Stride = stride;
        Padding = padding;
        Weight = LoadWeight(ws, "weight", inChannels, outChannels, kernelSize, kernelSize);
        Bias = bias ? LoadWeight(ws, "bias", outChannels) : null;
    }

    public Tensor Forward(Tensor x) =>
        Ops.ConvTranspose2d(x, Weight, Bias, stride: (Stride, Stride), padding: (Padding, Padding), outputPadding: (0, 0), dilation: (1, 1), groups: 1);
}
