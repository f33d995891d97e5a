using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>torch.nn.LayerNorm over the last dim with affine <c>weight</c>/<c>bias</c> (CLIP's layer norms).</summary>
public sealed class LayerNorm : Module
{
    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public float Eps { get; }

    public LayerNorm(WeightSource ws, int dim, float eps)
    {
        Eps = eps;
        Weight = LoadWeight(ws, "weight", dim);
        Bias = LoadWeight(ws, "bias", dim);
    }

    public Tensor Forward(Tensor x) => Ops.LayerNorm(x, Weight, Bias, Eps);
}

/// <summary>
/// Würstchen's parameter-free norm: <c>WuerstchenLayerNorm</c> (LayerNorm2d — per pixel over C, no affine,
/// eps 1e-6) and Stage B's <c>seq_norm</c> over token channels are the same operation on channels-last data.
/// </summary>
public static class WuerstchenNorm
{
    public const float Eps = 1e-6f;

    /// <summary>LayerNorm over the last dim without affine: x [B, H, W, C] (LayerNorm2d) or tokens [B, L, C].</summary>
    public static Tensor ChannelsLast(Tensor x) => Ops.LayerNorm(x, null, null, Eps);
}
