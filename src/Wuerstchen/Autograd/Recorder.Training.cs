using Wuerstchen.Autograd.Backward;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd;

public static partial class Recorder
{
    /// <summary>y = BatchNorm over the batch statistics (training mode) of x [N, C, ...]; affine optional.</summary>
    public static Tensor BatchNorm2dTrain(Tensor y, Tensor x, Tensor? weight, Tensor? bias, float eps)
    {
        if (!Tape.ShouldRecord(x, weight, bias)) return y;
        Tape.Record(y, "BatchNorm2dTrain", [x, weight, bias],
            [Tape.TracksGrad(x) || Tape.TracksGrad(weight) ? x : null, Tape.TracksGrad(x) ? weight : null], (eps, affine: weight is not null),
            static (g, n, p) =>
            {
                var (gx, gw, gb) = BatchNormTrainBackward.Gradients(g, n.NeedsGrad(0) || n.NeedsGrad(1) ? n.Saved(0) : null,
                    n.NeedsGrad(0) && p.affine ? n.Saved(1) : null, p.eps, n.NeedsGrad(0), n.NeedsGrad(1), n.NeedsGrad(2), n.InputShape(1), n.InputShape(2));
                return [gx, gw, gb];
            });
        return y;
    }

    /// <summary>y = x·mask with the dropout mask (0 or 1/(1 − p) per element).</summary>
    public static Tensor Dropout(Tensor y, Tensor x, Tensor mask)
    {
        if (!Tape.ShouldRecord(x)) return y;
        Tape.Record(y, "Dropout", [x], [mask], static (g, n) => [Pointwise.Multiply(g, n.Saved(0))]);
        return y;
    }
}
