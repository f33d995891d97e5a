using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// The layers' side of <see cref="WeightPrecision.Bf16"/>: whether a weight just loaded should be kept as bf16,
/// and the conversion. Writable (training) sources and shape-only placeholders (zero strides, from
/// <see cref="WeightSource.Meta"/>) always stay float32.
/// </summary>
internal static class Bf16Weights
{
    public static bool ShouldConvert(WeightSource ws, Tensor weight)
    {
        if (Precision.Weights != WeightPrecision.Bf16 || ws.Writable) return false;
        bool placeholder = weight.Numel > 1 && !weight.Strides.ToArray().Any(s => s != 0);
        return !placeholder;
    }
}
