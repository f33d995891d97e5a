namespace Wuerstchen.Tensors;

public enum InterpolationMode { Nearest, Bilinear, Bicubic }

public static partial class Ops
{
    /// <summary>torch.nn.functional.interpolate on NCHW to (outH, outW), incl. antialias (bilinear/bicubic) as torch computes it.</summary>
    public static Tensor Interpolate(Tensor x, int outH, int outW, InterpolationMode mode, bool alignCorners = false, bool antialias = false)
        => throw new NotImplementedException();
}
