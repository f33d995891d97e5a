using Wuerstchen.Models.Lora;
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

    /// <summary>The layer's state-dict path (e.g. <c>blocks.2.attention.to_q</c>): what LoRA files name it by.</summary>
    public string Path { get; }

    /// <summary>
    /// A low-rank adapter whose output is added to the layer's (LoRA, <see cref="LoraLinear"/>). Null — inference
    /// without LoRA — costs one null check per call.
    /// </summary>
    public ILinearAdapter? Adapter { get; set; }

    public Linear(WeightSource ws, int inFeatures, int outFeatures, bool bias = true)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Path = ws.Prefix.TrimEnd('.');
        Weight = LoadWeight(ws, "weight", outFeatures, inFeatures);
        Bias = bias ? LoadWeight(ws, "bias", outFeatures) : null;
    }

    public Tensor Forward(Tensor x)
    {
        var y = Ops.Linear(x, Weight, Bias);
        return Adapter is null ? y : Adapter.Forward(x, y);
    }
}
