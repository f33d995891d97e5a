using Wuerstchen.Autograd.Backward;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd;

public static partial class Recorder
{
    /// <summary>y = F.interpolate(x, (outH, outW), mode, align_corners, antialias) on NCHW.</summary>
    public static Tensor Interpolate(Tensor y, Tensor x, int outH, int outW, InterpolationMode mode, bool alignCorners, bool antialias)
    {
        if (!Tape.ShouldRecord(x)) return y;
        var rows = ResizeAxis.For(x.Shape[^2], outH, mode, alignCorners, antialias);
        var cols = ResizeAxis.For(x.Shape[^1], outW, mode, alignCorners, antialias);
        Tape.Record(y, "Interpolate", [x], [], (rows, cols), static (g, n, a) => [ResizeBackward.Input(g, n.InputShape(0), a.rows, a.cols)]);
        return y;
    }
}
