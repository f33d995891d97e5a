using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// A 1×1 <c>Conv2d</c> (weight [out, in, 1, 1], optional bias) applied to channels-last data, where it is exactly
/// a Linear over the last dim: y[…, o] = Σ_c x[…, c]·W[o, c] + b[o].
/// </summary>
public sealed class PointwiseConv : Module
{
    private readonly Tensor? _matrix;
    private readonly Bf16LinearWeight? _bf16; // instead of _matrix, when built under WeightPrecision.Bf16
    private readonly Tensor? _bias;

    public PointwiseConv(WeightSource ws, int inChannels, int outChannels, bool bias = true)
    {
        var weight = LoadWeight(ws, "weight", outChannels, inChannels, 1, 1);
        // A view of the stored weight; only placeholder (meta) weights are copied here.
        if (Bf16Weights.ShouldConvert(ws, weight))
        {
            _bf16 = Own(Bf16LinearWeight.FromTensor(weight));
            ReleaseWeight(weight);
        }
        else _matrix = weight;
        _bias = bias ? LoadWeight(ws, "bias", outChannels) : null;
    }

    /// <param name="x">[…, in] (e.g. NHWC)</param>
    public Tensor Forward(Tensor x) =>
        _bf16 is not null ? Ops.Linear(x, _bf16, _bias) : Ops.Linear(x, _matrix!.Reshape(_matrix.Size(0), _matrix.Size(1)), _bias);
}
