using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// A 1×1 <c>Conv2d</c> (weight [out, in, 1, 1], optional bias) applied to channels-last data, where it is exactly
/// a Linear over the last dim: y[…, o] = Σ_c x[…, c]·W[o, c] + b[o].
/// </summary>
public sealed class PointwiseConv : Module
{
    private readonly Tensor _matrix;
    private readonly Tensor? _bias;

    public PointwiseConv(WeightSource ws, int inChannels, int outChannels, bool bias = true)
    {
        var weight = LoadWeight(ws, "weight", outChannels, inChannels, 1, 1);
        // A view of the stored weight; only placeholder (meta) weights are copied here.
        _matrix = weight;
        _bias = bias ? LoadWeight(ws, "bias", outChannels) : null;
    }

    /// <param name="x">[…, in] (e.g. NHWC)</param>
    public Tensor Forward(Tensor x) => Ops.Linear(x, _matrix.Reshape(_matrix.Size(0), _matrix.Size(1)), _bias);
}
