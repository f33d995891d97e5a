using Wuerstchen.Autograd;
using Wuerstchen.Kernels;

namespace Wuerstchen.Tensors;

/// <summary>torch.nn.functional.interpolate modes (2-d).</summary>
public enum InterpolationMode { Nearest, Bilinear, Bicubic, NearestExact }

public static partial class Ops
{
    /// <summary>
    /// torch.nn.functional.interpolate on NCHW to (outH, outW), with torch's index and weight arithmetic:
    /// nearest / nearest-exact, bilinear and bicubic (Keys a = −0.75, edge-clamped taps) with or without
    /// align_corners, and antialias (PIL-style support-stretched filters; bicubic then uses a = −0.5) for
    /// bilinear/bicubic. Würstchen's effnet resize is Bicubic with alignCorners and antialias.
    /// </summary>
    public static unsafe Tensor Interpolate(Tensor x, int outH, int outW, InterpolationMode mode, bool alignCorners = false, bool antialias = false)
    {
        const string op = "Interpolate";
        RequireRank(x, 4, op, "input", "NCHW");
        if (outH < 1 || outW < 1) throw new ArgumentOutOfRangeException(nameof(outH), $"{op}: output size {outH}×{outW} must be positive.");
        bool nearest = mode is InterpolationMode.Nearest or InterpolationMode.NearestExact;
        if (nearest && alignCorners)
            throw new ArgumentException($"{op}: align_corners can only be set with the interpolating modes (bilinear, bicubic), not {mode}.");
        if (nearest && antialias)
            throw new ArgumentException($"{op}: antialias is only available for bilinear and bicubic, not {mode}.");
        int h = x.Shape[2], w = x.Shape[3];
        if (h < 1 || w < 1) throw new ArgumentException($"{op}: input {Show(x)} has an empty spatial dim.");
        var filter = mode switch
        {
            InterpolationMode.Nearest => ResizeFilter.Nearest,
            InterpolationMode.NearestExact => ResizeFilter.NearestExact,
            InterpolationMode.Bilinear => ResizeFilter.Linear,
            _ => ResizeFilter.Cubic,
        };
        var rows = ResampleAxis.Create(h, outH, filter, alignCorners, antialias);
        var columns = ResampleAxis.Create(w, outW, filter, alignCorners, antialias);
        using var xs = Dense.Of(x);
        var y = Tensor.Empty(x.Shape[0], x.Shape[1], outH, outW);
        if (y.Numel > 0) Kernels.Resize.Resample(xs.Data, (long)x.Shape[0] * x.Shape[1], rows, columns, y.Data);
        return Recorder.Interpolate(y, x, outH, outW, mode, alignCorners, antialias);
    }
}
