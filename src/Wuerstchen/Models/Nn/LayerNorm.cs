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
/// Würstchen's parameter-free norms: <c>WuerstchenLayerNorm</c> (LayerNorm2d: per pixel over C, no affine,
/// eps 1e-6) in its two layouts, and the plain last-dim variant used for token sequences (<c>seq_norm</c>).
/// </summary>
public static class WuerstchenNorm
{
    public const float Eps = 1e-6f;

    /// <summary>LayerNorm2d on NCHW.</summary>
    public static Tensor LayerNorm2d(Tensor x) => Ops.LayerNorm2d(x, Eps);

    /// <summary>The same normalisation on channels-last data ([…, C], e.g. NHWC or tokens [B, L, C]).</summary>
    public static Tensor ChannelsLast(Tensor x) => Ops.LayerNorm(x, null, null, Eps);
}
