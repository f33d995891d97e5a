using Wuerstchen.Autograd.Backward;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd;

public static partial class Recorder
{
    /// <summary>y = LayerNorm over the last dim (affine optional).</summary>
    public static Tensor LayerNorm(Tensor y, Tensor x, Tensor? weight, Tensor? bias, float eps)
    {
        if (!Tape.ShouldRecord(x, weight, bias)) return y;
        int d = x.Shape[^1], rows = (int)(x.Numel / Math.Max(1, d));
        bool affine = weight is not null;
        Tape.Record(y, "LayerNorm", [x, weight, bias],
            [Tape.TracksGrad(x) || Tape.TracksGrad(weight) ? x : null, Tape.TracksGrad(x) ? weight : null], (rows, d, eps, affine),
            static (g, n, p) => [
                n.NeedsGrad(0) ? NormBackward.Input(g, n.Saved(0), p.affine ? n.Saved(1) : null, p.rows, p.d, 1, p.eps) : null,
                n.NeedsGrad(1) ? NormBackward.Weight(g, n.Saved(0), p.rows, p.d, p.eps, n.InputShape(1)) : null,
                n.NeedsGrad(2) ? NormBackward.ColumnSum(g, p.rows, p.d, n.InputShape(2)) : null]);
        return y;
    }

    /// <summary>y = Würstchen's LayerNorm2d on NCHW: per pixel over C, no affine.</summary>
    public static Tensor LayerNorm2d(Tensor y, Tensor x, float eps)
    {
        if (!Tape.ShouldRecord(x)) return y;
        int n0 = x.Shape[0], c = x.Shape[1], hw = (int)(x.Numel / Math.Max(1, (long)n0 * c));
        Tape.Record(y, "LayerNorm2d", [x], [x], (n0, c, hw, eps), static (g, n, p) => [NormBackward.Input(g, n.Saved(0), null, p.n0, p.c, p.hw, p.eps)]);
        return y;
    }

    /// <summary>y = GRN(x) on channels-last x [B, H, W, D] with γ, β broadcast over the last dim.</summary>
    public static Tensor GlobalResponseNorm(Tensor y, Tensor x, Tensor gamma, Tensor beta)
    {
        if (!Tape.ShouldRecord(x, gamma, beta)) return y;
        Tape.Record(y, "GlobalResponseNorm", [x, gamma, beta], [x, gamma], static (g, n) =>
        {
            var (gx, gGamma, gBeta) = NormBackward.Grn(g, n.Saved(0), n.Saved(1), n.NeedsGrad(0), n.NeedsGrad(1), n.NeedsGrad(2),
                n.InputShape(1), n.InputShape(2));
            return [gx, gGamma, gBeta];
        });
        return y;
    }

    /// <summary>y = BatchNorm2d with running statistics (inference mode); the statistics get no gradient.</summary>
    public static Tensor BatchNorm2d(Tensor y, Tensor x, Tensor runningMean, Tensor runningVar, Tensor? weight, Tensor? bias, float eps)
    {
        if (!Tape.ShouldRecord(x, weight, bias)) return y;
        bool affine = weight is not null;
        Tape.Record(y, "BatchNorm2d", [x, weight, bias],
            [Tape.TracksGrad(weight) ? x : null, runningMean, runningVar, weight], (affine, eps),
            static (g, n, p) =>
            {
                var (gx, gw, gb) = NormBackward.BatchNormEval(g, n.NeedsGrad(1) ? n.Saved(0) : null, n.Saved(1), n.Saved(2),
                    p.affine ? n.Saved(3) : null, p.eps, n.NeedsGrad(0), n.NeedsGrad(1), n.NeedsGrad(2),
                    n.InputShape(1), n.InputShape(2));
                return [gx, gw, gb];
            });
        return y;
    }
}
