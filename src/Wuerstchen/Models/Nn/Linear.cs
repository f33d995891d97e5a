using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>torch.nn.Linear: <c>weight [out, in]</c>, optional <c>bias [out]</c>; y = x·Wᵀ + b over the last dim.</summary>
public sealed class Linear : Module
{
    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public int InFeatures { get; }
    public int OutFeatures { get; }

    public Linear(WeightSource ws, int inFeatures, int outFeatures, bool bias = true)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = LoadWeight(ws, "weight", outFeatures, inFeatures);
        Bias = bias ? LoadWeight(ws, "bias", outFeatures) : null;
    }

    public Tensor Forward(Tensor x) => Ops.Linear(x, Weight, Bias);
}
