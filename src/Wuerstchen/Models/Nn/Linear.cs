using Wuerstchen.Models.Lora;
using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// torch.nn.Linear: <c>weight [out, in]</c>, optional <c>bias [out]</c>; y = x·Wᵀ + b over the last dim.
/// Built under <see cref="WeightPrecision.Bf16"/> (inference), the weight is kept as <see cref="Bf16Weight"/> only.
/// </summary>
public sealed class Linear : Module
{
    private readonly Tensor? _weight;

    /// <summary>The float32 weight; a layer built with bf16 weights has none (see <see cref="Bf16Weight"/>).</summary>
    public Tensor Weight => _weight ?? throw new InvalidOperationException(
        $"Linear [{OutFeatures}, {InFeatures}]: the weight is held as bf16 (built under WeightPrecision.Bf16); use Bf16Weight.");

    /// <summary>The bf16 weight when the layer was built under <see cref="WeightPrecision.Bf16"/>, else null.</summary>
    public Bf16LinearWeight? Bf16Weight { get; }

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
        var weight = LoadWeight(ws, "weight", outFeatures, inFeatures);
        if (Bf16Weights.ShouldConvert(ws, weight))
        {
            Bf16Weight = Own(Bf16LinearWeight.FromTensor(weight));
            ReleaseWeight(weight);
        }
        else _weight = weight;
        Bias = bias ? LoadWeight(ws, "bias", outFeatures) : null;
    }

    public Tensor Forward(Tensor x)
    {
        var y = Bf16Weight is null ? Ops.Linear(x, Weight, Bias) : Ops.Linear(x, Bf16Weight, Bias);
        return Adapter is null ? y : Adapter.Forward(x, y);
    }
}
