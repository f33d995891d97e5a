using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// Stage B's downsampler <c>Sequential(LayerNorm2d(c_in), Conv2d(c_in → c_out, k=2, s=2))</c> on channels-last data.
/// A 2×2 stride-2 conv is a Linear over non-overlapping 2×2 patches: the patch is gathered in the weight's own
/// (c, i, j) order, so the stored [c_out, c_in, 2, 2] weight is used as a [c_out, 4·c_in] matrix unchanged.
/// </summary>
public sealed class Downsample2x : Module
{
    private readonly Tensor _matrix;
    private readonly Tensor _bias;

    /// <param name="ws">scope of the Sequential (keys <c>1.weight</c>, <c>1.bias</c>)</param>
    public Downsample2x(WeightSource ws, int inChannels, int outChannels)
    {
        _matrix = LoadWeight(ws, "1.weight", outChannels, inChannels, 2, 2);
        _bias = LoadWeight(ws, "1.bias", outChannels);
    }

    /// <param name="x">[B, H, W, c_in], H and W even</param>
    /// <returns>[B, H/2, W/2, c_out]</returns>
    public Tensor Forward(Tensor x)
    {
        int b = x.Size(0), h = x.Size(1) / 2, w = x.Size(2) / 2, c = x.Size(3);
        using var normed = WuerstchenNorm.ChannelsLast(x);
        // patches[b, y, x, c·4 + i·2 + j] = normed[b, 2y + i, 2x + j, c]
        using var patches = normed.Reshape(b, h, 2, w, 2, c).Permute(0, 1, 3, 5, 2, 4).Reshape(b, h, w, 4 * c);
        return Ops.Linear(patches, _matrix.Reshape(_matrix.Size(0), -1), _bias);
    }
}

/// <summary>
/// Stage B's upsampler <c>Sequential(LayerNorm2d(c_in), ConvTranspose2d(c_in → c_out, k=2, s=2))</c> on
/// channels-last data: each input pixel emits a 2×2 patch, out[b, 2y+i, 2x+j, o] = Σ_c x[b, y, x, c]·W[c, o, i, j] + bias[o],
/// i.e. one GEMM with the stored [c_in, c_out, 2, 2] weight as a [c_in, 4·c_out] matrix, then depth-to-space.
/// </summary>
public sealed class Upsample2x : Module
{
    private readonly Tensor _matrix;
    private readonly Tensor _bias;
    private readonly int _outChannels;

    public Upsample2x(WeightSource ws, int inChannels, int outChannels)
    {
        _outChannels = outChannels;
        _matrix = LoadWeight(ws, "1.weight", inChannels, outChannels, 2, 2);
        _bias = LoadWeight(ws, "1.bias", outChannels);
    }

    /// <param name="x">[B, H, W, c_in]</param>
    /// <returns>[B, 2H, 2W, c_out]</returns>
    public Tensor Forward(Tensor x)
    {
        int b = x.Size(0), h = x.Size(1), w = x.Size(2), c = x.Size(3), o = _outChannels;
        using var normed = WuerstchenNorm.ChannelsLast(x);
        using var patches = Ops.MatMul(normed.Reshape(b * h * w, c), _matrix.Reshape(c, 4 * o));          // [(b, y, x), (o, i, j)]
        using var y = patches.Reshape(b, h, w, o, 2, 2).Permute(0, 1, 4, 2, 5, 3).Reshape(b, 2 * h, 2 * w, o);
        return Ops.Add(y, _bias);
    }
}
